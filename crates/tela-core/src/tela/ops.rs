//! The Tela operation table: every name a face may call on a Tela client, its answer's shape
//! and which function runs it (the request line it sends is the function's own).

use crate::operation::Operation;
use crate::shape::Shape;
use crate::tela::runs;
use crate::tela::stream::COMPLETION;
use crate::tela::{self, canvases, files, tasks};

pub static OPERATIONS: &[Operation] = &[
    Operation {
        name: "completions.create",
        answer: COMPLETION,
        takes_files: true,
        call: Some(|c, a, o| Box::pin(tela::create(c, a.body, a.extra_body, a.files, o))),
        stream: Some(|c, a, o| Box::pin(tela::stream(c, a.body, a.extra_body, a.files, o))),
    },
    Operation {
        name: "completions.submit",
        answer: Shape::Object,
        takes_files: true,
        call: Some(|c, a, o| Box::pin(runs::submit(c, a.body, a.extra_body, a.files, o))),
        stream: None,
    },
    Operation {
        name: "completions.retrieve",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(runs::retrieve(c, a.body, o))),
        stream: None,
    },
    Operation {
        name: "completions.list",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(runs::list(c, a.body, o))),
        stream: None,
    },
    Operation {
        name: "runs.wait",
        answer: Shape::Object,
        takes_files: false,
        call: None,
        stream: Some(|c, a, o| Box::pin(runs::wait(c, a.body, o))),
    },
    Operation {
        name: "tasks.get",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(tasks::get(c, a.body, o))),
        stream: None,
    },
    Operation {
        name: "tasks.wait",
        answer: Shape::Object,
        takes_files: false,
        call: None,
        stream: Some(|c, a, o| Box::pin(tasks::wait(c, a.body, o))),
    },
    Operation {
        name: "canvases.get",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(canvases::get(c, a.body, o))),
        stream: None,
    },
    Operation {
        name: "canvases.list",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(canvases::list(c, a.body, o))),
        stream: None,
    },
    Operation {
        name: "canvases.promoted_version",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(canvases::promoted_version(c, a.body, o))),
        stream: None,
    },
    Operation {
        name: "canvases.latest_version",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(canvases::latest_version(c, a.body, o))),
        stream: None,
    },
    Operation {
        name: "canvases.version",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(canvases::version(c, a.body, o))),
        stream: None,
    },
    Operation {
        name: "canvases.history",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(canvases::history(c, a.body, o))),
        stream: None,
    },
    Operation {
        name: "environments.version",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(canvases::environment_version(c, a.body, o))),
        stream: None,
    },
    Operation {
        name: "environments.publish",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(canvases::publish(c, a.body, a.extra_body, o))),
        stream: None,
    },
    Operation {
        name: "tasks.create",
        answer: Shape::Object,
        takes_files: true,
        call: Some(|c, a, o| Box::pin(tasks::create(c, a.body, a.extra_body, a.files, o))),
        stream: None,
    },
    Operation {
        name: "tasks.list",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(tasks::list(c, a.body, o))),
        stream: None,
    },
    Operation {
        name: "tasks.query",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(tasks::query(c, a.body, o))),
        stream: None,
    },
    Operation {
        name: "tasks.update",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(tasks::update(c, a.body, o))),
        stream: None,
    },
    Operation {
        name: "files.upload",
        answer: Shape::Object,
        takes_files: true,
        call: Some(|c, a, o| Box::pin(files::upload_op(c, a.files, o))),
        stream: None,
    },
    Operation {
        name: "files.retrieve",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(files::retrieve_op(c, a.body, o))),
        stream: None,
    },
];
