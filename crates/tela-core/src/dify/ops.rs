//! The Dify operation table: every name a face may call on a Dify client, what it sends and
//! which function runs it.

use super::{
    App, Conversations, Info, UPLOAD_PATH, conversations, create, feedback, get_info, stop, stream,
    upload,
};
use crate::api::Operation;
use crate::shape::Shape;

pub static OPERATIONS: &[Operation] = &[
    Operation {
        name: "dify.completion_messages.create",
        method: "POST",
        path: "/completion-messages",
        answer: Shape::Dify,
        takes_files: true,
        call: Some(|c, a, o| Box::pin(create(c, App::Completion, a, o))),
        stream: Some(|c, a, o| Box::pin(stream(c, App::Completion, a, o))),
    },
    Operation {
        name: "dify.chat_messages.create",
        method: "POST",
        path: "/chat-messages",
        answer: Shape::Dify,
        takes_files: true,
        call: Some(|c, a, o| Box::pin(create(c, App::Chat, a, o))),
        stream: Some(|c, a, o| Box::pin(stream(c, App::Chat, a, o))),
    },
    Operation {
        name: "dify.completion_messages.stop",
        method: "POST",
        path: "/completion-messages/{task_id}/stop",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(stop(c, App::Completion, a.body, a.extra_body, o))),
        stream: None,
    },
    Operation {
        name: "dify.chat_messages.stop",
        method: "POST",
        path: "/chat-messages/{task_id}/stop",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(stop(c, App::Chat, a.body, a.extra_body, o))),
        stream: None,
    },
    Operation {
        name: "dify.files.upload",
        method: "POST",
        path: UPLOAD_PATH,
        answer: Shape::Object,
        takes_files: true,
        call: Some(|c, a, o| Box::pin(upload(c, a.body, a.extra_body, a.files, o))),
        stream: None,
    },
    Operation {
        name: "dify.messages.feedback",
        method: "POST",
        path: "/messages/{message_id}/feedbacks",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(feedback(c, a.body, a.extra_body, o))),
        stream: None,
    },
    Operation {
        name: "dify.parameters",
        method: "GET",
        path: "/parameters",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(get_info(c, Info::Parameters, a.body, a.extra_body, o))),
        stream: None,
    },
    Operation {
        name: "dify.meta",
        method: "GET",
        path: "/meta",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(get_info(c, Info::Meta, a.body, a.extra_body, o))),
        stream: None,
    },
    Operation {
        name: "dify.info",
        method: "GET",
        path: "/info",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(get_info(c, Info::Info, a.body, a.extra_body, o))),
        stream: None,
    },
    Operation {
        name: "dify.site",
        method: "GET",
        path: "/site",
        answer: Shape::Object,
        takes_files: false,
        call: Some(|c, a, o| Box::pin(get_info(c, Info::Site, a.body, a.extra_body, o))),
        stream: None,
    },
    Operation {
        name: "dify.files.preview",
        method: "GET",
        path: "/files/{file_id}/preview",
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
        method: "GET",
        path: "/conversations",
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
        method: "POST",
        path: "/conversations/{conversation_id}/name",
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
        method: "DELETE",
        path: "/conversations/{conversation_id}",
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
        method: "GET",
        path: "/messages",
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
