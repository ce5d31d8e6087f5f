//! The Dify operation table: every name a face may call on a Dify client, its answer's shape
//! and which function runs it (the request line it sends is the function's own).

use super::{
    App, Conversations, Info, conversations, create, feedback, get_info, stop, stream, upload,
};
use crate::operation::Operation;
use crate::shape::Shape;

pub static OPERATIONS: &[Operation] = &[
    Operation {
        name: "dify.completion_messages.create",
        answer: super::stream::EVENT,
        takes_files: true,
        call: Some(|c, a, o| Box::pin(create(c, App::Completion, a, o))),
        stream: Some(|c, a, o| Box::pin(stream(c, App::Completion, a, o))),
    },
    Operation {
        name: "dify.chat_messages.create",
        answer: super::stream::EVENT,
        takes_files: true,
        call: Some(|c, a, o| Box::pin(create(c, App::Chat, a, o))),
        stream: Some(|c, a, o| Box::pin(stream(c, App::Chat, a, o))),
    },
    Operation {
        name: "dify.completion_messages.stop",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(stop(c, App::Completion, a.body, a.extra_body, o))),
        stream: None,
    },
    Operation {
        name: "dify.chat_messages.stop",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(stop(c, App::Chat, a.body, a.extra_body, o))),
        stream: None,
    },
    Operation {
        name: "dify.files.upload",
        answer: Shape::Object,
        takes_files: true,
        call: Some(|c, a, o| Box::pin(upload(c, a.body, a.extra_body, a.files, o))),
        stream: None,
    },
    Operation {
        name: "dify.messages.feedback",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(feedback(c, a.body, a.extra_body, o))),
        stream: None,
    },
    Operation {
        name: "dify.parameters",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(get_info(c, Info::Parameters, a.body, a.extra_body, o))),
        stream: None,
    },
    Operation {
        name: "dify.meta",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(get_info(c, Info::Meta, a.body, a.extra_body, o))),
        stream: None,
    },
    Operation {
        name: "dify.info",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(get_info(c, Info::Info, a.body, a.extra_body, o))),
        stream: None,
    },
    Operation {
        name: "dify.site",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(get_info(c, Info::Site, a.body, a.extra_body, o))),
        stream: None,
    },
    Operation {
        name: "dify.files.preview",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| {
            Box::pin(conversations(
                c,
                Conversations::Preview,
                a.body,
                a.extra_body,
                o,
            ))
        }),
        stream: None,
    },
    Operation {
        name: "dify.conversations.list",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| {
            Box::pin(conversations(
                c,
                Conversations::List,
                a.body,
                a.extra_body,
                o,
            ))
        }),
        stream: None,
    },
    Operation {
        name: "dify.conversations.rename",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| {
            Box::pin(conversations(
                c,
                Conversations::Rename,
                a.body,
                a.extra_body,
                o,
            ))
        }),
        stream: None,
    },
    Operation {
        name: "dify.conversations.delete",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| {
            Box::pin(conversations(
                c,
                Conversations::Delete,
                a.body,
                a.extra_body,
                o,
            ))
        }),
        stream: None,
    },
    Operation {
        name: "dify.messages.list",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| {
            Box::pin(conversations(
                c,
                Conversations::History,
                a.body,
                a.extra_body,
                o,
            ))
        }),
        stream: None,
    },
];
