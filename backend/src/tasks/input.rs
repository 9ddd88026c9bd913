//! Task request bodies and query strings, and the rules that make them valid.
//! REST handlers and chat tools both go through these, so both reject the same input.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use utoipa::{IntoParams, ToSchema};

use super::{
    hidden,
    model::{Priority, SortKey, SortOrder, StatusFilter},
};
// The `pattern`s in the schemas below tell API clients the character rules too (NUL, and what
// `hidden` refuses in the Basic Multilingual Plane).
use crate::error::{Error, FieldErrors, NUL_PROBLEM, Result};

pub(crate) const MAX_TITLE_CHARS: usize = 200;
pub(crate) const MAX_DESCRIPTION_CHARS: usize = 1000;
pub(crate) const DEFAULT_LIMIT: u32 = 100;
pub(crate) const MAX_LIMIT: u32 = 500;
/// Largest offset: the OpenAPI type of `offset` is int32.
const MAX_OFFSET: u32 = i32::MAX as u32;
const MAX_QUERY_CHARS: usize = 200;

/// Body of `POST /api/{user_id}/tasks`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTaskRequest {
    /// Required; at most 200 characters, not blank; stored trimmed.
    #[schema(value_type = String, required = true, example = "Buy groceries",
             max_length = 200,
             pattern = r"^[^\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200E\u200F\u2028\u2029\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]*[^\s\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200E\u200F\u2028\u2029\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB][^\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200E\u200F\u2028\u2029\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]*$")]
    pub title: Option<String>,
    /// Up to 1000 characters.
    #[schema(
        max_length = 1000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]*$"
    )]
    pub description: Option<String>,
    /// Defaults to `medium`.
    #[schema(value_type = Option<Priority>, example = "medium")]
    pub priority: Option<String>,
    /// RFC 3339 timestamp.
    #[schema(value_type = Option<String>, format = DateTime, example = "2026-12-03T17:00:00+01:00")]
    pub due_at: Option<String>,
}

/// Body of `PUT /api/{user_id}/tasks/{id}`: fields present are changed, absent ones kept;
/// `null` clears `description` and `due_at`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TaskPatchRequest {
    /// At most 200 characters, not blank; stored trimmed.
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200E\u200F\u2028\u2029\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]*[^\s\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200E\u200F\u2028\u2029\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB][^\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200E\u200F\u2028\u2029\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]*$"
    )]
    pub title: Option<String>,
    /// Up to 1000 characters; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 1000,
             pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]*$")]
    pub description: Option<Option<String>>,
    #[schema(value_type = Option<Priority>)]
    pub priority: Option<String>,
    /// RFC 3339 timestamp; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_at: Option<Option<String>>,
    pub completed: Option<bool>,
}

/// A task ready to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewTask {
    pub title: String,
    pub description: Option<String>,
    pub priority: Priority,
    pub due_at: Option<DateTime<Utc>>,
}

/// Changes to apply; `None` keeps the current value, `Some(None)` clears a nullable field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TaskPatch {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub priority: Option<Priority>,
    pub due_at: Option<Option<DateTime<Utc>>>,
    pub completed: Option<bool>,
}

impl NewTaskRequest {
    pub(crate) fn validate(self) -> Result<NewTask> {
        let mut problems = FieldErrors::new();
        let title = match self.title {
            Some(title) => check_title(&title, &mut problems),
            None => {
                problems.insert("title".into(), "is required".into());
                None
            }
        };
        let description = self.description.and_then(|text| check_description(text, &mut problems));
        let priority = self
            .priority
            .map(|p| check_priority(&p, &mut problems))
            .unwrap_or_default();
        let due_at = self.due_at.and_then(|raw| check_due_at(&raw, &mut problems));
        match title {
            Some(title) if problems.is_empty() => Ok(NewTask {
                title,
                description,
                priority,
                due_at,
            }),
            _ => Err(Error::Validation(problems)),
        }
    }
}

impl TaskPatchRequest {
    pub(crate) fn validate(self) -> Result<TaskPatch> {
        let mut problems = FieldErrors::new();
        let patch = TaskPatch {
            title: self.title.and_then(|title| check_title(&title, &mut problems)),
            description: self
                .description
                .map(|text| text.and_then(|text| check_description(text, &mut problems))),
            priority: self.priority.map(|p| check_priority(&p, &mut problems)),
            due_at: self
                .due_at
                .map(|raw| raw.and_then(|raw| check_due_at(&raw, &mut problems))),
            completed: self.completed,
        };
        if problems.is_empty() {
            Ok(patch)
        } else {
            Err(Error::Validation(problems))
        }
    }
}

/// The limit counts the title as sent, so it agrees with `maxLength` in the OpenAPI schema; the
/// stored title is the trimmed one.
fn check_title(title: &str, problems: &mut FieldErrors) -> Option<String> {
    let chars = title.chars().count();
    let title = title.trim();
    if title.contains('\0') {
        problems.insert("title".into(), NUL_PROBLEM.into());
        None
    } else if title.is_empty() {
        problems.insert("title".into(), "must not be empty".into());
        None
    } else if let Some(problem) = hidden::problem(title, false) {
        problems.insert("title".into(), problem);
        None
    } else if chars > MAX_TITLE_CHARS {
        problems.insert(
            "title".into(),
            format!("must be at most {MAX_TITLE_CHARS} characters (got {chars})"),
        );
        None
    } else {
        Some(title.to_owned())
    }
}

/// An empty description is stored as no description.
fn check_description(text: String, problems: &mut FieldErrors) -> Option<String> {
    let chars = text.chars().count();
    if text.contains('\0') {
        problems.insert("description".into(), NUL_PROBLEM.into());
        return None;
    }
    if chars > MAX_DESCRIPTION_CHARS {
        problems.insert(
            "description".into(),
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters (got {chars})"),
        );
        return None;
    }
    if let Some(problem) = hidden::problem(&text, true) {
        problems.insert("description".into(), problem);
        return None;
    }
    (!text.trim().is_empty()).then_some(text)
}

fn check_priority(value: &str, problems: &mut FieldErrors) -> Priority {
    Priority::parse(value).unwrap_or_else(|| {
        problems.insert("priority".into(), "must be one of low, medium, high".into());
        Priority::default()
    })
}

fn check_due_at(raw: &str, problems: &mut FieldErrors) -> Option<DateTime<Utc>> {
    match DateTime::parse_from_rfc3339(raw.trim()) {
        Ok(at) => Some(at.with_timezone(&Utc)),
        Err(_) => {
            problems.insert(
                "due_at".into(),
                "must be an RFC 3339 timestamp such as 2026-12-03T17:00:00Z".into(),
            );
            None
        }
    }
}

/// Distinguishes a field sent as `null` (`Some(None)`) from a field not sent (`None`).
fn present<'de, T, D>(deserializer: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Query string of `GET /api/{user_id}/tasks`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// `all` (default), `pending` or `completed`.
    #[param(inline)]
    pub status: Option<StatusFilter>,
    /// Case-insensitive text to find in title or description.
    #[param(max_length = 200, pattern = r"^[^\u0000]*$")]
    pub q: Option<String>,
    /// `created` (default), `title`, `due_date` or `priority`.
    #[param(inline)]
    pub sort: Option<SortKey>,
    /// `asc` or `desc`; defaults to newest first, A–Z, soonest due, highest priority.
    #[param(inline)]
    pub order: Option<SortOrder>,
    /// 1–500, default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Rows to skip, default 0.
    #[param(minimum = 0, maximum = 2147483647)]
    pub offset: Option<u32>,
}

/// A validated list request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListFilter {
    pub status: StatusFilter,
    pub q: Option<String>,
    pub sort: SortKey,
    pub order: SortOrder,
    pub limit: u32,
    pub offset: u32,
}

impl Default for ListFilter {
    fn default() -> Self {
        ListQuery::default()
            .validate()
            .unwrap_or_else(|_| unreachable!("the empty query is valid"))
    }
}

impl ListQuery {
    pub(crate) fn validate(self) -> Result<ListFilter> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Error::InvalidQuery(format!("limit must be between 1 and {MAX_LIMIT}")));
        }
        let q = self.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
        if q.as_ref().is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS) {
            return Err(Error::InvalidQuery(format!(
                "q must be at most {MAX_QUERY_CHARS} characters"
            )));
        }
        let offset = self.offset.unwrap_or(0);
        if offset > MAX_OFFSET {
            return Err(Error::InvalidQuery(format!(
                "offset must be between 0 and {MAX_OFFSET}"
            )));
        }
        if q.as_ref().is_some_and(|q| q.contains('\0')) {
            return Err(Error::InvalidQuery(format!("q {NUL_PROBLEM}")));
        }
        let sort = self.sort.unwrap_or_default();
        Ok(ListFilter {
            status: self.status.unwrap_or_default(),
            q,
            sort,
            order: self.order.unwrap_or(sort.default_order()),
            limit,
            offset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_is_trimmed_and_bounded_in_characters_not_bytes() {
        let task = NewTaskRequest {
            title: Some("é".repeat(200)),
            ..Default::default()
        };
        assert_eq!(task.validate().unwrap().title.chars().count(), 200);
        let task = NewTaskRequest {
            title: Some(format!("  {}\n", "x".repeat(10))),
            ..Default::default()
        };
        assert_eq!(task.validate().unwrap().title, "x".repeat(10));
        let task = NewTaskRequest {
            title: Some("é".repeat(201)),
            ..Default::default()
        };
        assert!(matches!(task.validate(), Err(Error::Validation(f)) if f.contains_key("title")));
    }

    #[test]
    fn missing_title_is_a_field_error() {
        let Err(Error::Validation(fields)) = NewTaskRequest::default().validate() else {
            panic!()
        };
        assert_eq!(fields["title"], "is required");
    }

    #[test]
    fn due_at_is_normalised_to_utc() {
        let task = NewTaskRequest {
            title: Some("x".into()),
            due_at: Some("2026-12-03T17:00:00+01:00".into()),
            ..Default::default()
        };
        assert_eq!(
            task.validate().unwrap().due_at.unwrap().to_rfc3339(),
            "2026-12-03T16:00:00+00:00"
        );
    }

    #[test]
    fn patch_distinguishes_null_from_absent() {
        let patch: TaskPatchRequest = serde_json::from_str(r#"{"description": null}"#).unwrap();
        assert_eq!(patch.validate().unwrap().description, Some(None));
        let patch: TaskPatchRequest = serde_json::from_str("{}").unwrap();
        assert_eq!(patch.validate().unwrap(), TaskPatch::default());
    }

    #[test]
    fn list_defaults_follow_the_sort_key() {
        let filter = ListFilter::default();
        assert_eq!(
            (filter.sort, filter.order, filter.limit),
            (SortKey::Created, SortOrder::Desc, 100)
        );
        let by_title = ListQuery {
            sort: Some(SortKey::Title),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(by_title.order, SortOrder::Asc);
        assert!(
            ListQuery {
                limit: Some(501),
                ..Default::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            ListQuery {
                limit: Some(0),
                ..Default::default()
            }
            .validate()
            .is_err()
        );
    }
}
