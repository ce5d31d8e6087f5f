//! Registered canvases and their versions, and how a request's identifiers resolve to them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;

use super::spec::{CanvasInfo, CanvasSpec, DEFAULT_MODEL, RunSpec, StreamSpec, VariableSpec};
use crate::{EmulatorError, ReplyFn, clock, ids};

/// What a version answers when the canvas has no callback.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// The rendered template.
    Echo,
    /// Text, rendered with the variables.
    Text(String),
    /// Structured content, sent as given.
    Structured(Value),
}

impl Reply {
    fn from_spec(reply: Option<Value>) -> Reply {
        match reply {
            None | Some(Value::Null) => Reply::Echo,
            Some(Value::String(text)) => Reply::Text(text),
            Some(other) => Reply::Structured(other),
        }
    }
}

pub(crate) struct Version {
    pub id: String,
    pub template: String,
    pub reply: Reply,
    pub title: String,
    /// The variables as served (camelCase objects, protocol.md §9.1).
    pub variables: Vec<Value>,
    pub output_schema: Option<Value>,
    /// 1-based position among the canvas's versions, oldest first.
    pub index: usize,
    pub created_at: String,
}

/// A version's variables on the wire: the spec's, or one required text variable per
/// placeholder of the template.
fn variables_of(spec: Option<Vec<VariableSpec>>, template: &str) -> Vec<Value> {
    let specs = spec.unwrap_or_else(|| {
        crate::template::placeholders(template)
            .into_iter()
            .map(|name| VariableSpec {
                name: name.to_owned(),
                ..VariableSpec::default()
            })
            .collect()
    });
    specs
        .into_iter()
        .map(|v| {
            let mut out = serde_json::json!({
                "name": v.name, "type": v.kind, "required": v.required,
                "description": v.description.unwrap_or_default(),
            });
            if let Some(allow) = v.allow_multimodal {
                out["processingOptions"] = serde_json::json!({"allowMultimodal": allow});
            }
            out
        })
        .collect()
}

pub(crate) struct Canvas {
    pub id: String,
    pub model: String,
    pub title: String,
    pub project_id: Option<String>,
    pub created_at: String,
    /// Every version, oldest first (the promoted one as registered first).
    pub versions: Vec<Arc<Version>>,
    pub stream: StreamSpec,
    /// When set, answers for every version of the canvas instead of `Version::reply`.
    pub callback: Option<ReplyFn>,
    pub run: RunSpec,
    /// The spec's `allow_missing_variables`.
    pub allow_missing_variables: bool,
}

/// A resolved request target.
#[derive(Clone)]
pub(crate) struct Target {
    pub canvas: Arc<Canvas>,
    pub version: Arc<Version>,
    /// The environment that selected the version (`production` for a bare `canvas_id`,
    /// `None` for a `version_id`).
    pub environment_name: Option<String>,
}

/// Why a lookup failed; each maps to a 404 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Missing {
    Canvas,
    Environment,
    Version,
    Application,
}

impl Missing {
    pub(crate) fn message(self) -> &'static str {
        match self {
            Missing::Canvas => "Canvas not found",
            Missing::Environment => "Environment not found or has no published version",
            Missing::Version => "Version not found",
            Missing::Application => "Application not found",
        }
    }
}

#[derive(Default)]
pub(crate) struct Registry {
    canvases: HashMap<String, Arc<Canvas>>,
    /// Version id -> (canvas id, version).
    versions: HashMap<String, (String, Arc<Version>)>,
    /// Application id -> canvas id.
    applications: HashMap<String, String>,
    /// Canvas id -> environment name -> the version it serves (`production`: the promoted
    /// one). Kept apart from the canvas: publishing changes it (protocol.md §9.4).
    environments: HashMap<String, BTreeMap<String, Arc<Version>>>,
    /// Canvas ids in registration order (what `GET /prompt` lists).
    order: Vec<String>,
}

/// `^[a-z0-9]+(-[a-z0-9]+)*$`, at most 64 characters (protocol.md §3.1).
pub(crate) fn valid_environment_name(name: &str) -> bool {
    name.len() <= 64
        && !name.is_empty()
        && name.split('-').all(|seg| {
            !seg.is_empty()
                && seg
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn checked_id(id: Option<String>) -> Result<String, EmulatorError> {
    match id {
        None => Ok(ids::uuid()),
        Some(id) if id.trim().is_empty() => Err(EmulatorError::InvalidId(id)),
        Some(id) => Ok(id),
    }
}

impl Registry {
    /// Registers a canvas; nothing is changed when it fails.
    pub(crate) fn add(
        &mut self,
        spec: CanvasSpec,
        callback: Option<ReplyFn>,
    ) -> Result<CanvasInfo, EmulatorError> {
        let canvas_id = checked_id(spec.id)?;
        if self.canvases.contains_key(&canvas_id) {
            return Err(EmulatorError::DuplicateCanvas(canvas_id));
        }
        let application_id = match spec.application_id {
            Some(id) if id.trim().is_empty() => return Err(EmulatorError::InvalidId(id)),
            Some(id) if self.applications.contains_key(&id) => {
                return Err(EmulatorError::DuplicateApplication(id));
            }
            other => other,
        };
        let now = clock::iso8601(clock::unix_ms());
        let production = Arc::new(Version {
            id: checked_id(None)?,
            variables: variables_of(spec.variables, &spec.template),
            template: spec.template,
            reply: Reply::from_spec(spec.reply),
            title: "Version 1".to_owned(),
            output_schema: spec.output_schema,
            index: 1,
            created_at: now.clone(),
        });
        let mut versions = vec![production.clone()];
        for v in spec.versions {
            let id = checked_id(v.id)?;
            if self.versions.contains_key(&id) || versions.iter().any(|x| x.id == id) {
                return Err(EmulatorError::DuplicateVersion(id));
            }
            let index = versions.len() + 1;
            versions.push(Arc::new(Version {
                id,
                variables: variables_of(v.variables, &v.template),
                template: v.template,
                reply: Reply::from_spec(v.reply),
                title: v.title.unwrap_or_else(|| format!("Version {index}")),
                output_schema: v.output_schema,
                index,
                created_at: now.clone(),
            }));
        }
        let mut environments = BTreeMap::new();
        for (name, version_id) in spec.environments {
            if !valid_environment_name(&name) {
                return Err(EmulatorError::InvalidEnvironment(name));
            }
            // "production" names the promoted version, whose id is only known afterwards.
            let version = versions
                .iter()
                .find(|v| v.id == version_id)
                .or((version_id == "production").then_some(&production));
            let Some(version) = version else {
                return Err(EmulatorError::UnknownVersion {
                    environment: name,
                    version: version_id,
                });
            };
            if name == "production" && version.id != production.id {
                return Err(EmulatorError::ProductionRemapped);
            }
            environments.insert(name, version.clone());
        }
        environments.insert("production".to_owned(), production.clone());

        let info = CanvasInfo {
            id: canvas_id.clone(),
            production_version_id: production.id.clone(),
            version_ids: versions.iter().map(|v| v.id.clone()).collect(),
            application_id: application_id.clone(),
        };
        if let Some(app) = application_id {
            self.applications.insert(app, canvas_id.clone());
        }
        for v in &versions {
            self.versions
                .insert(v.id.clone(), (canvas_id.clone(), v.clone()));
        }
        let model = spec
            .model
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| DEFAULT_MODEL.to_owned());
        self.environments.insert(canvas_id.clone(), environments);
        self.order.push(canvas_id.clone());
        self.canvases.insert(
            canvas_id.clone(),
            Arc::new(Canvas {
                title: spec.title.unwrap_or_else(|| format!("Canvas {canvas_id}")),
                id: canvas_id,
                model,
                project_id: spec.project_id,
                created_at: now,
                versions,
                stream: spec.stream,
                callback,
                run: spec.run,
                allow_missing_variables: spec.allow_missing_variables,
            }),
        );
        Ok(info)
    }

    /// `canvas_id` with an optional `environment_name` (default: production).
    pub(crate) fn by_canvas(&self, id: &str, environment: Option<&str>) -> Result<Target, Missing> {
        let canvas = self.canvases.get(id).ok_or(Missing::Canvas)?;
        let name = environment.unwrap_or("production");
        let version = self
            .environments
            .get(id)
            .and_then(|envs| envs.get(name))
            .ok_or(Missing::Environment)?;
        Ok(Target {
            canvas: canvas.clone(),
            version: version.clone(),
            environment_name: Some(name.to_owned()),
        })
    }

    /// `application_id`: the promoted version of the application's canvas.
    pub(crate) fn by_application(&self, id: &str) -> Result<Target, Missing> {
        let canvas_id = self.applications.get(id).ok_or(Missing::Application)?;
        let mut target = self
            .by_canvas(canvas_id, None)
            .map_err(|_| Missing::Application)?;
        target.environment_name = None;
        Ok(target)
    }

    /// The canvas `id`.
    pub(crate) fn canvas(&self, id: &str) -> Option<Arc<Canvas>> {
        self.canvases.get(id).cloned()
    }

    /// Every canvas, in registration order, of `project` when given.
    pub(crate) fn canvases(&self, project: Option<&str>) -> Vec<Arc<Canvas>> {
        self.order
            .iter()
            .filter_map(|id| self.canvases.get(id))
            .filter(|c| project.is_none() || c.project_id.as_deref() == project)
            .cloned()
            .collect()
    }

    /// The names of the environments of `canvas` serving `version`, in name order.
    pub(crate) fn environments_serving(&self, canvas: &str, version: &str) -> Vec<String> {
        self.environments
            .get(canvas)
            .into_iter()
            .flatten()
            .filter(|(_, v)| v.id == version)
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Makes `environment` of `canvas` serve `version` (protocol.md §9.4): an environment that
    /// does not exist is created only with `auto_create` (`production` always exists).
    pub(crate) fn publish(
        &mut self,
        canvas: &str,
        environment: &str,
        version: &str,
        auto_create: bool,
    ) -> Result<Arc<Version>, Missing> {
        if !self.canvases.contains_key(canvas) {
            return Err(Missing::Canvas);
        }
        let version = match self.versions.get(version) {
            Some((owner, v)) if owner == canvas => v.clone(),
            _ => return Err(Missing::Version),
        };
        let envs = self.environments.entry(canvas.to_owned()).or_default();
        if !envs.contains_key(environment) && !auto_create {
            return Err(Missing::Environment);
        }
        envs.insert(environment.to_owned(), version.clone());
        Ok(version)
    }

    /// `version_id`: exactly that version, whatever is published.
    pub(crate) fn by_version(&self, id: &str) -> Result<Target, Missing> {
        let (canvas_id, version) = self.versions.get(id).ok_or(Missing::Version)?;
        let canvas = self.canvases.get(canvas_id).ok_or(Missing::Version)?;
        Ok(Target {
            canvas: canvas.clone(),
            version: version.clone(),
            environment_name: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tela::spec::VersionSpec;

    #[test]
    fn environment_names() {
        for ok in ["production", "staging", "a-1", "x", &"a".repeat(64)] {
            assert!(valid_environment_name(ok), "{ok}");
        }
        for bad in ["", "Prod", "a--b", "-a", "a-", "a_b", &"a".repeat(65)] {
            assert!(!valid_environment_name(bad), "{bad}");
        }
    }

    #[test]
    fn publishing_moves_environments_and_production_moves_the_promoted_version() {
        let mut r = Registry::default();
        let spec = CanvasSpec {
            id: Some("c".into()),
            template: "{{a}} {{b}}".into(),
            versions: vec![VersionSpec {
                id: Some("v2".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let info = r.add(spec, None).unwrap();
        let first = r.by_canvas("c", None).unwrap().version;
        assert_eq!(
            first.variables.len(),
            2,
            "one text variable per placeholder"
        );
        assert_eq!(first.variables[0]["type"], "text");
        assert_eq!(
            r.publish("c", "staging", "v2", false).err(),
            Some(Missing::Environment)
        );
        assert!(r.publish("c", "staging", "v2", true).is_ok());
        assert_eq!(r.environments_serving("c", "v2"), ["staging"]);
        assert!(r.publish("c", "production", "v2", false).is_ok());
        assert_eq!(r.by_canvas("c", None).unwrap().version.id, "v2");
        assert!(
            r.environments_serving("c", &info.production_version_id)
                .is_empty()
        );
        assert_eq!(
            r.publish("c", "staging", "nope", false).err(),
            Some(Missing::Version)
        );
        assert_eq!(
            r.publish("x", "staging", "v2", false).err(),
            Some(Missing::Canvas)
        );
    }

    #[test]
    fn failed_add_changes_nothing() {
        let mut r = Registry::default();
        let spec = CanvasSpec {
            id: Some("c".into()),
            versions: vec![VersionSpec {
                id: Some("v1".into()),
                ..Default::default()
            }],
            environments: [("staging".to_owned(), "nope".to_owned())].into(),
            ..Default::default()
        };
        assert!(matches!(
            r.add(spec.clone(), None),
            Err(EmulatorError::UnknownVersion { .. })
        ));
        assert!(r.by_canvas("c", None).is_err());
        assert!(r.by_version("v1").is_err());
        let ok = CanvasSpec {
            environments: [
                ("staging".to_owned(), "v1".to_owned()),
                ("stable".to_owned(), "production".to_owned()),
            ]
            .into(),
            ..spec
        };
        let info = r.add(ok.clone(), None).unwrap();
        assert_eq!(info.version_ids.len(), 2);
        assert_eq!(r.by_canvas("c", Some("staging")).unwrap().version.id, "v1");
        assert_eq!(
            r.by_canvas("c", Some("stable")).unwrap().version.id,
            info.production_version_id
        );
        assert!(matches!(
            r.add(ok, None),
            Err(EmulatorError::DuplicateCanvas(_))
        ));
    }
}
