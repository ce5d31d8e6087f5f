"""Dify completion app: blocking and streaming answers, a file, feedback, stop, and errors.

Runs against the embedded emulator (no account, no network) unless DIFY_API_KEY is set, in
which case it calls your Dify app (DIFY_BASE_URL for a self-hosted instance, e.g.
https://dify.example.com/v1). The app's first input variable gets the sample text.

    python examples/dify_completion.py
"""

from __future__ import annotations

import os
import sys
import tempfile

from tela_sdk import DifyClient, InvalidRequestError
from tela_sdk.testing import Emulator

USER = "example-user"


def main() -> int:
    emulator = None
    if os.environ.get("DIFY_API_KEY"):
        dify = DifyClient()  # DIFY_API_KEY / DIFY_BASE_URL from the environment
    else:
        emulator = Emulator()
        app = emulator.add_dify_app(
            name="Translator",
            template="Translate into Spanish: {{text}}",
            answer="Hola, mundo. ¿Cómo estás?",
            user_input_form=["text"],
            stream={"chunk_size": 6, "delay_ms": 40},
        )
        dify = emulator.dify_client(app)
        print(f"(using the local emulator at {emulator.dify_url})")

    with dify:
        info = dify.info()
        fields = dify.parameters().input_fields
        variable = fields[0].variable if fields else "query"
        print(f"app:       {info.name} ({info.mode}); input {variable!r}")
        inputs = {variable: "Hello, world. How are you?"}

        answer = dify.completion_messages.create(inputs=inputs, user=USER)
        usage = answer.usage
        print("answer:   ", answer.answer)
        if usage is not None:
            print(f"usage:     {usage.total_tokens} tokens, {usage.total_price} {usage.currency}")

        print("streamed:  ", end="", flush=True)
        with dify.completion_messages.create(inputs=inputs, user=USER, stream=True) as stream:
            for piece in stream.text():
                print(piece, end="", flush=True)
            final = stream.final()
        print(f"\nfinal:     message {final.message_id}, finish_reason={final.finish_reason!r}")

        # Stop a stream after its first piece: it ends with message_end at once.
        with dify.completion_messages.create(inputs=inputs, user=USER, stream=True) as stream:
            first = next(stream.text())
            if stream.task_id is not None:
                dify.completion_messages.stop(stream.task_id, user=USER)
            rest = stream.final()
        print(f"stopped:   after {first!r}, the answer is {rest.answer!r}")

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "notes.txt")
            with open(path, "w") as f:
                f.write("Translate carefully.")
            upload = dify.files.upload(path, user=USER)  # streamed from disk
            print(f"uploaded:  {upload.name} ({upload.size} bytes) as {upload.id}")
            if emulator is not None:  # your app may not accept documents
                with_file = dify.completion_messages.create(inputs=inputs, user=USER, files=[upload])
                print("with file:", with_file.answer)

        dify.messages.feedback(answer.message_id, rating="like", user=USER, content="Nice")
        print("feedback:  like")

        try:
            dify.completion_messages.create(inputs=inputs)  # no user
        except InvalidRequestError as e:
            print("error:    ", type(e).__name__, "-", str(e).split(":")[0])

    if emulator is not None:
        emulator.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
