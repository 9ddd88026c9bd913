"""A user of the Todo AI Chatbot, for the k3s VM test (nix/k3s/default.nix) and its local run
(nix/k3s/tests/test_journey.py): what a person does in a browser without JavaScript, plus what a
program does with the REST API and what an assistant does over MCP. Standard library only, so it runs on the
VM's bare python3.

Credentials live in a state file (mode 0600) written by `signup`; nothing secret is printed or put
on a command line, because the VM test logs every command and its output. Like a browser, the user stays
signed in: every step after `signup` reuses its session, and only `login` and `api-tasks` log in (the backend
throttles logins per email, so a test that logged in at every step and retried would lock itself out).

    journey --state FILE login-page     --frontend URL
    journey --state FILE signup         --frontend URL
    journey --state FILE login          --frontend URL
    journey --state FILE chat           --frontend URL --message TEXT
    journey --state FILE tasks-page     --frontend URL --title TITLE
    journey --state FILE api-tasks      --api URL --title TITLE
    journey --state FILE assistant      --frontend URL --title TITLE
    journey --state FILE keep-answering --frontend URL --title TITLE --seconds N

Each command exits 0 when the user saw what they expected, 1 otherwise (with the reason on stderr).
"""

import argparse
import base64
import http.cookiejar
import html
import json
import os
import re
import secrets
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

TIMEOUT_SECONDS = 10
SESSION_COOKIE = "todo_session"
# The hidden field every form carries: the CSRF token the page was rendered with (it is bound to the session).
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')


class JourneyFailed(Exception):
    """What the user expected and did not see."""


class Browser:
    """Cookies, redirects and the CSRF token of the form's page, as a browser without JavaScript has them."""

    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def cookie(self, name):
        return next((c.value for c in self.cookies if c.name == name), None)

    def resume(self, state):
        """The session cookie sign-up set, as a browser that stayed signed in still has it."""
        host = urllib.parse.urlsplit(self.base_url).hostname
        self.cookies.set_cookie(http.cookiejar.Cookie(
            0, SESSION_COOKIE, state["token"], None, False, host, False, False, "/", True, False, None, False,
            None, None, {"HttpOnly": None}))
        return self

    def get(self, path):
        return self.open(urllib.request.Request(self.base_url + path))

    def post_form(self, path, fields):
        _, _, page = self.get(path_of_form(path))
        token = CSRF_FIELD.search(page)
        data = dict(fields, csrf_token=token.group(1) if token else "")
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(self.base_url + path, data=body, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        return self.open(request)

    def open(self, request):
        """(status, final path, body) after following redirects; 4xx and 5xx are answers too."""
        try:
            with self.opener.open(request, timeout=TIMEOUT_SECONDS) as response:
                return response.status, urllib.parse.urlsplit(response.url).path, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, urllib.parse.urlsplit(error.url).path, error.read().decode()


def path_of_form(post_path):
    """The page whose form is posted to `post_path` (it renders the CSRF token the post needs)."""
    return {"/chat/send": "/chat", "/connect/tokens": "/connect"}.get(post_path, post_path)


def expect(condition, message):
    if not condition:
        raise JourneyFailed(message)


def load_state(path):
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def save_state(path, state):
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump(state, file)


def token_subject(token):
    """The user id a session token names (its payload is read, not verified: the backend verifies)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def signed_in(args):
    return Browser(args.frontend).resume(load_state(args.state))


def login_page(args):
    status, path, body = Browser(args.frontend).get("/")
    expect(status == 200 and path == "/login", f"/ should lead to the login page, got HTTP {status} at {path}")
    expect('name="csrf_token"' in body and 'name="password"' in body, "the login page has no login form")
    return {"page": path, "status": status}


def signup(args):
    browser = Browser(args.frontend)
    state = {"email": f"k3s-{secrets.token_hex(6)}@example.com", "password": secrets.token_urlsafe(18)}
    fields = {"name": "K3s Tester", "email": state["email"], "password": state["password"], "timezone": "UTC"}
    status, path, _ = browser.post_form("/signup", fields)
    expect(status == 200 and path.startswith("/chat"), f"sign up: HTTP {status} at {path}")
    token = browser.cookie(SESSION_COOKIE)
    expect(token is not None, "sign up set no session cookie")
    state["user_id"] = token_subject(token)
    state["token"] = token
    save_state(args.state, state)
    return {"signed_up": True, "chat_page": path}


def login(args):
    browser = Browser(args.frontend)
    state = load_state(args.state)
    status, path, _ = browser.post_form("/login", {"email": state["email"], "password": state["password"]})
    expect(status == 200 and path.startswith("/chat"), f"log in through the form: HTTP {status} at {path}")
    expect(browser.cookie(SESSION_COOKIE) is not None, "logging in set no session cookie")
    return {"logged_in": True, "chat_page": path}


def chat(args):
    browser = signed_in(args)
    status, path, body = browser.post_form("/chat/send", {"message": args.message})
    expect(status == 200 and path.startswith("/chat/"), f"chat turn: HTTP {status} at {path}")
    expect(args.message in body, "the conversation page does not show the message sent")
    return {"conversation": path}


def tasks_page(args):
    status, path, body = signed_in(args).get("/tasks")
    expect(status == 200 and path == "/tasks", f"/tasks: HTTP {status} at {path}")
    expect(args.title in body, f"the tasks page does not list {args.title!r}")
    return {"tasks_page": path, "lists": args.title}


def api_tasks(args):
    state = load_state(args.state)
    base = args.api.rstrip("/")
    # The token issued at sign-up first: it only still works if AUTH_SECRET survived every upgrade.
    tasks = api_get(f"{base}/api/{state['user_id']}/tasks", state["token"])
    credentials = json.dumps({"email": state["email"], "password": state["password"]}).encode()
    request = urllib.request.Request(f"{base}/api/auth/login", data=credentials, method="POST")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        session = json.load(response)
    expect(session["user_id"] == state["user_id"], "the API login names another user")
    expect(api_get(f"{base}/api/{state['user_id']}/tasks", session["token"]) == tasks, "the two tokens see different tasks")
    found = [task for task in tasks if task["title"] == args.title]
    expect(len(found) == 1, f"expected one task {args.title!r} through the API, got {[t['title'] for t in tasks]}")
    return {key: found[0][key] for key in ("id", "title", "completed", "priority")}


def api_get(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        raise JourneyFailed(f"GET {urllib.parse.urlsplit(url).path}: HTTP {error.code}") from error


def assistant(args):
    """The user creates an access token on the Connect page and gives it to an assistant, which lists the
    tasks over MCP at the UI's address (the frontend forwards /mcp to the backend)."""
    browser = signed_in(args)
    status, path, body = browser.post_form("/connect/tokens", {"name": "k3s assistant", "expires_in_days": "7"})
    expect(status == 201 and path == "/connect/tokens", f"create an access token: HTTP {status} at {path}")
    found = re.search(r'id="new-token"[^>]*value="([^"]+)"', body)
    expect(found is not None, "the Connect page shows no new access token")
    state = load_state(args.state)
    state["access_token"] = html.unescape(found.group(1))
    save_state(args.state, state)
    tasks = mcp_call(args.frontend, state["access_token"], "list_tasks", {})
    titles = [task["title"] for task in tasks]
    expect(args.title in titles, f"list_tasks over MCP does not list {args.title!r}: {titles}")
    return {"mcp": "/mcp", "lists": args.title}


def mcp_call(frontend, token, tool, arguments):
    """One JSON-RPC tools/call, as an MCP client of the 2025-11-25 revision sends it; the tool's parsed result."""
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    request = urllib.request.Request(frontend.rstrip("/") + "/mcp", data=json.dumps(message).encode(), method="POST")
    for name, value in (("Authorization", f"Bearer {token}"), ("Content-Type", "application/json"),
                        ("Accept", "application/json, text/event-stream"), ("MCP-Protocol-Version", "2025-11-25")):
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as error:
        raise JourneyFailed(f"MCP {tool}: HTTP {error.code}") from error
    result = answer.get("result") or {}
    expect(result.get("isError") is False, f"MCP {tool} failed: {json.dumps(answer)[:200]}")
    return json.loads(result["content"][0]["text"])


def keep_answering(args):
    """The signed-in user reloads /tasks for `seconds`; every answer must be the full page."""
    browser = signed_in(args)
    deadline = time.monotonic() + args.seconds
    answered, failures = 0, []
    while time.monotonic() < deadline:
        try:
            status, path, body = browser.get("/tasks")
            ok = status == 200 and path == "/tasks" and args.title in body
            problem = f"HTTP {status} at {path}"
        except OSError as error:
            ok, problem = False, f"{type(error).__name__}: {error}"
        if ok:
            answered += 1
        else:
            failures.append(problem)
        time.sleep(args.interval)
    report = {"answered": answered, "failed": len(failures), "first_failures": failures[:5]}
    expect(not failures and answered > 0, f"the app did not keep answering: {json.dumps(report)}")
    return report


COMMANDS = {
    "login-page": login_page,
    "signup": signup,
    "login": login,
    "chat": chat,
    "tasks-page": tasks_page,
    "api-tasks": api_tasks,
    "assistant": assistant,
    "keep-answering": keep_answering,
}


def parse(argv):
    parser = argparse.ArgumentParser(prog="journey", description=__doc__.split("\n\n")[0])
    parser.add_argument("--state", required=True, help="JSON file with the test user's credentials")
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--frontend", help="base URL of the frontend, e.g. http://127.0.0.1:30080")
    parser.add_argument("--api", help="base URL of the backend API")
    parser.add_argument("--message", help="chat message to send")
    parser.add_argument("--title", help="task title the user expects to see")
    parser.add_argument("--seconds", type=float, default=20.0, help="keep-answering: how long")
    parser.add_argument("--interval", type=float, default=0.1, help="keep-answering: pause between requests")
    return parser.parse_args(argv)


def main(argv):
    args = parse(argv)
    try:
        print(json.dumps(COMMANDS[args.command](args)))
    except (JourneyFailed, OSError, KeyError, ValueError) as error:
        print(f"journey {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
