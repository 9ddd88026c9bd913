//! Forms against the real backend: validation errors beside their fields, and the tasks flow with
//! plain forms and redirects (what a browser without JavaScript does).

use axum::http::StatusCode;

use crate::support::{PASSWORD, backend::TestBackend, email, frontend::TestFrontend};

/// The start tag of the element with `id` (`<input id="email" …>`).
fn tag<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!(" id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let start = html[..at].rfind('<').expect("a tag start");
    let end = at + html[at..].find('>').expect("a tag end");
    &html[start..=end]
}

#[tokio::test]
async fn validation_errors_appear_next_to_their_fields() {
    let backend = TestBackend::start().await;
    let mut ui = TestFrontend::new(&backend.base_url());
    let short = ui
        .post_form("/signup", &[("email", &email("v")), ("password", "short")])
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.text.contains("id=\"password-error\""), "{}", short.text);
    // The page that comes back focuses the field in error, which names its error.
    let password = tag(&short.text, "password");
    assert!(
        password.contains("aria-describedby=\"password-error\"") && password.contains(" autofocus"),
        "{password}"
    );
    assert!(!tag(&short.text, "email").contains("autofocus"));

    let address = ui.sign_up().await;
    let mut other = TestFrontend::new(&backend.base_url());
    let taken = other
        .post_form("/signup", &[("email", &address), ("password", PASSWORD)])
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.text.contains("An account with this email already exists."));
    assert!(
        taken.text.contains(&format!("value=\"{address}\"")),
        "the email is kept"
    );

    let wrong = other
        .post_form("/login", &[("email", &address), ("password", "not the password")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text.contains("Email or password is incorrect."));
    // The form's error belongs to both credentials; the first is focused.
    let (email_field, password) = (tag(&wrong.text, "email"), tag(&wrong.text, "password"));
    assert!(
        email_field.contains("aria-describedby=\"form-error\"") && email_field.contains(" autofocus"),
        "{email_field}"
    );
    assert!(
        password.contains("aria-describedby=\"form-error\"") && password.contains("aria-invalid=\"true\""),
        "{password}"
    );

    let blank = ui.post_form("/tasks", &[("title", "   ")]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        blank.text.contains("<p class=\"field-error\" id=\"title-error\">"),
        "{}",
        blank.text
    );
    assert!(
        tag(&blank.text, "title").contains(" autofocus"),
        "the field in error is focused"
    );
    let hx_blank = ui
        .post_form_with(
            "/tasks",
            &[("title", ""), ("description", "kept")],
            &[("hx-request", "true")],
        )
        .await;
    assert_eq!(hx_blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(hx_blank.text.starts_with("<section id=\"task-section\""));
    assert!(hx_blank.text.contains("id=\"title-error\"") && hx_blank.text.contains(">kept</textarea>"));
    assert!(
        tag(&hx_blank.text, "title").contains(" autofocus"),
        "htmx focuses the field in error"
    );
    // A swap that only refreshes the list must not pull the focus into the add form.
    let refreshed = ui.hx_get("/tasks?status=all").await;
    assert!(!refreshed.text.contains("autofocus"), "{}", refreshed.text);
}

#[tokio::test]
async fn every_task_control_names_its_task() {
    let backend = TestBackend::start().await;
    let mut ui = TestFrontend::new(&backend.base_url());
    ui.sign_up().await;
    ui.post_form("/tasks", &[("title", "Water the plants")]).await;
    let page = ui.get("/tasks").await;
    for name in [
        "<span class=\"sr-only\">Mark “Water the plants” as done</span>",
        "Edit<span class=\"sr-only\"> “Water the plants”</span>",
        "Delete<span class=\"sr-only\"> “Water the plants”</span>",
        "hx-confirm=\"Delete the task “Water the plants”?\"",
    ] {
        assert!(page.text.contains(name), "{name} in {}", page.text);
    }
    assert!(
        tag(&page.text, "title").contains(" autofocus"),
        "a fresh page focuses the add field"
    );
}

#[tokio::test]
async fn tasks_work_with_plain_forms_and_titles_stay_text() {
    let backend = TestBackend::start().await;
    let mut ui = TestFrontend::new(&backend.base_url());
    ui.sign_up().await;
    let hostile = "<img src=x onerror=alert(1)>";
    let created = ui
        .post_form(
            "/tasks",
            &[("title", hostile), ("priority", "high"), ("status", "pending")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    assert_eq!(created.location(), "/tasks?status=pending");
    let page = ui.get("/tasks").await;
    assert!(!page.text.contains(hostile), "the title is escaped");
    assert!(page.text.contains("onerror=alert(1)&#62;") || page.text.contains("onerror=alert(1)&gt;"));
    let id: String = page
        .text
        .split("action=\"/tasks/")
        .nth(1)
        .expect("a task row")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();

    let toggled = ui.post_form(&format!("/tasks/{id}/toggle"), &[("status", "all")]).await;
    assert_eq!(toggled.location(), "/tasks?status=all", "{}", toggled.text);
    assert!(
        ui.get("/tasks?status=completed")
            .await
            .text
            .contains(&format!("id=\"task-{id}\""))
    );

    let edited = ui
        .post_form(&format!("/tasks/{id}"), &[("title", "Renamed"), ("priority", "low")])
        .await;
    assert_eq!(edited.location(), "/tasks");
    assert!(ui.get("/tasks").await.text.contains("Renamed"));

    let deleted = ui.post_form(&format!("/tasks/{id}/delete"), &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(!ui.get("/tasks").await.text.contains(&format!("id=\"task-{id}\"")));
    let gone = ui.get(&format!("/tasks/{id}/edit")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(ui.get("/tasks/abc/edit").await.status, StatusCode::NOT_FOUND);
}
