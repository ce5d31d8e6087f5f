//! Which Dify app a message goes to, and how it is answered: the per-app endpoint, the body
//! keys each app takes, and the explicit `response_mode`.

/// The two message endpoints: text generator (`completion`) apps and chat apps
/// (`chat`, `agent-chat`, `advanced-chat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum App {
    Completion,
    Chat,
}

impl App {
    pub fn path(self) -> &'static str {
        match self {
            App::Completion => "/completion-messages",
            App::Chat => "/chat-messages",
        }
    }

    pub(super) fn resource(self) -> &'static str {
        match self {
            App::Completion => "completion_messages",
            App::Chat => "chat_messages",
        }
    }

    /// Body keys the SDK sends for this endpoint; anything else goes through `extra_body`.
    pub(super) fn fields(self) -> &'static [&'static str] {
        match self {
            App::Completion => &["inputs", "query", "user", "files"],
            App::Chat => &[
                "inputs",
                "query",
                "user",
                "files",
                "conversation_id",
                "auto_generate_name",
                "workflow_id",
            ],
        }
    }
}

/// How a message is answered. Sent explicitly: an omitted `response_mode` means blocking on
/// the server but "streaming" in some translated docs (protocol.md §6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Blocking,
    Streaming,
}

impl Mode {
    pub(super) fn wire(self) -> &'static str {
        match self {
            Mode::Blocking => "blocking",
            Mode::Streaming => "streaming",
        }
    }
}
