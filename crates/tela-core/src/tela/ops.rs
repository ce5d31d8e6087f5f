//! The Tela operation table: every name a face may call on a Tela client, what it sends and
//! which function runs it.

use crate::api::Operation;
use crate::shape::Shape;
use crate::tela::files::FILES_PATH;
use crate::tela::runs::{self, RUNS_LIST_PATH};
use crate::tela::stream::COMPLETION;
use crate::tela::{self, COMPLETIONS_PATH, files};

pub static OPERATIONS: &[Operation] = &[
    Operation {
        name: "completions.create",
        method: "POST",
        path: COMPLETIONS_PATH,
        answer: COMPLETION,
        takes_files: true,
        call: Some(|c, a, o| Box::pin(tela::create(c, a.body, a.extra_body, a.files, o))),
        stream: Some(|c, a, o| Box::pin(tela::stream(c, a.body, a.extra_body, a.files, o))),
    },
    Operation {
        name: "completions.submit",
        method: "POST",
        path: COMPLETIONS_PATH,
        answer: Shape::Object,
        takes_files: true,
        call: Some(|c, a, o| Box::pin(runs::submit(c, a.body, a.extra_body, a.files, o))),
        stream: None,
    },
    Operation {
        name: "completions.retrieve",
        method: "GET",
        path: "/v2/chat/completions/{id}",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(runs::retrieve(c, a.body, o))),
        stream: None,
    },
    Operation {
        name: "completions.list",
        method: "GET",
        path: RUNS_LIST_PATH,
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(runs::list(c, a.body, o))),
        stream: None,
    },
    Operation {
        name: "runs.wait",
        method: "GET",
        path: "/v2/chat/completions/{id}",
        answer: Shape::Object,
        takes_files: false,
        call: None,
        stream: Some(|c, a, o| Box::pin(runs::wait(c, a.body, o))),
    },
    Operation {
        name: "files.upload",
        method: "POST",
        path: FILES_PATH,
        answer: Shape::Object,
        takes_files: true,
        call: Some(|c, a, o| Box::pin(files::upload_op(c, a.files, o))),
        stream: None,
    },
    Operation {
        name: "files.retrieve",
        method: "GET",
        path: "/v3/files/{id}",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(files::retrieve_op(c, a.body, o))),
        stream: None,
    },
];
