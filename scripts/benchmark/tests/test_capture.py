"""From PostgreSQL's log to a pgbench script: the log text below is what PostgreSQL 15 wrote for statements
sent over the extended protocol with `log_statement=all` (multi-line values continue after a tab)."""

from benchmark.capture import script, statements
from benchmark.rows import FRESH, RANDOM, Request

LOG = """\
2026-12-01 14:49:48.037 UTC [20330] LOG:  database system is ready to accept connections
2026-12-01 14:49:48.270 UTC [20344] LOG:  statement: BEGIN
2026-12-01 14:49:48.275 UTC [20344] LOG:  execute sqlx_s_3: select id, title from tasks
	where id = $1 and user_id = $2 and ($3::bool is null or completed = $3)
2026-12-01 14:49:48.275 UTC [20344] DETAIL:  parameters: $1 = '10000042', $2 = 'it''s
	two lines', $3 = NULL
2026-12-01 14:49:48.279 UTC [20344] LOG:  statement: COMMIT
"""


def test_statements_keep_order_text_and_parameters():
    found = statements(LOG)
    assert [sql.split()[0] for sql, _ in found] == ["BEGIN", "select", "COMMIT"]
    sql, parameters = found[1]
    assert sql.endswith("completed = $3)") and "\nwhere id = $1" in sql
    assert parameters == {1: "10000042", 2: "it's\ntwo lines", 3: None}


def test_script_turns_parameters_into_variables_nulls_into_literals_and_the_id_into_task_id():
    request = Request("GET", "/api/{user}/tasks/{id}", user="large", ids=RANDOM)
    made = script("r0", statements(LOG), request, task_id=10000042, tasks=(10000001, 10001000))
    assert made.text.splitlines()[0] == r"\set task_id random(:r0first, :r0last)"
    assert "where id = :task_id and user_id = :r0s1p2 and (NULL::bool is null or completed = NULL)" in made.text
    assert made.text.count(";") == 3
    assert made.defines == {"r0first": "10000001", "r0last": "10001000", "r0s1p2": "it's\ntwo lines"}


def test_fresh_ids_count_up_per_client():
    request = Request("DELETE", "/api/{user}/tasks/{id}", user="deleter", ids=FRESH)
    made = script("r0", statements(LOG)[1:2], request, task_id=10000042)
    assert made.text.splitlines()[:2] == [r"\set r0k :r0k + 1", r"\set task_id :r0first + :client_id + :r0k * :clients"]
    assert made.defines["r0k"] == "0"


CHAT_LOG = """\
2026-12-01 20:30:00.001 UTC [20344] LOG:  execute sqlx_s_1: insert into conversations (user_id, title) values ($1, $2)
	returning id, title
2026-12-01 20:30:00.001 UTC [20344] DETAIL:  parameters: $1 = 'u-1', $2 = 'What''s pending?'
2026-12-01 20:30:00.002 UTC [20344] LOG:  execute sqlx_s_2: update conversations set turn = $3 where id = $1 and user_id = $2
2026-12-01 20:30:00.002 UTC [20344] DETAIL:  parameters: $1 = '7', $2 = 'u-1', $3 = 't-1'
2026-12-01 20:30:00.003 UTC [20344] LOG:  execute sqlx_s_3: select id from messages where conversation_id = $1 limit $2
2026-12-01 20:30:00.003 UTC [20344] DETAIL:  parameters: $1 = '7', $2 = '7'
"""


def test_a_created_id_is_each_transactions_own():
    request = Request("POST", "/api/{user}/chat", user="chat")
    made = script("r0", statements(CHAT_LOG), request, task_id=None, created={0: 7})
    lines = made.text.splitlines()
    assert lines[:3] == ["insert into conversations (user_id, title) values (:r0s0p1, :r0s0p2)",
                         "returning id, title", r"\gset r0s0_"]
    assert "where id = :r0s0_id and user_id = :r0s1p2;" in made.text
    # Only a parameter compared with an id column is the new id; a limit that happens to be equal is not.
    assert lines[-1] == "select id from messages where conversation_id = :r0s0_id limit :r0s2p2;"
    assert made.defines["r0s2p2"] == "7" and "r0s1p1" not in made.defines
