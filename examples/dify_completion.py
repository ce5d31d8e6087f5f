"""Dify completion app: blocking and streaming answers, stop, a file, feedback, and errors.

Without DIFY_API_KEY it runs on an embedded emulator's demo app (input "text"); with it, on
your Dify app (DIFY_BASE_URL for a self-hosted instance, e.g. https://dify.example.com/v1),
whose first input variable gets the sample text.

    python examples/dify_completion.py
"""

import os
import tempfile

from tela_sdk import InvalidRequestError
from tela_sdk.testing import dify_client_or_emulator

USER = "example-user"

with dify_client_or_emulator(strict=True) as dify, tempfile.TemporaryDirectory() as tmp:
    info, fields = dify.info(), dify.parameters().input_fields
    variable = fields[0].variable if fields else "query"
    print(f"app:       {info.name} ({info.mode}); input {variable!r}")
    inputs = {variable: "Hello, world. How are you?"}

    answer = dify.completion_messages.create(inputs=inputs, user=USER)
    print("answer:   ", answer.answer)
    if answer.usage is not None:
        print(f"usage:     {answer.usage.total_tokens} tokens, {answer.usage.total_price} {answer.usage.currency}")

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
        print(f"stopped:   after {first!r}, the answer is {stream.final().answer!r}")

    path = os.path.join(tmp, "notes.txt")
    with open(path, "w") as f:
        f.write("Translate carefully.")
    upload = dify.files.upload(path, user=USER)  # streamed from disk
    print(f"uploaded:  {upload.name} ({upload.size} bytes) as {upload.id}")

    dify.messages.feedback(answer.message_id, rating="like", user=USER, content="Nice")
    print("feedback:  like")

    try:
        dify.completion_messages.create(inputs=inputs)  # no user
    except InvalidRequestError as e:
        print("error:    ", type(e).__name__, "-", str(e).split(":")[0])
