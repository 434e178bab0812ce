"""Terminal channel: read a line, print the replies (without anything the terminal would obey).
Also the in-memory test adapter's basis."""
from __future__ import annotations

import sys
from typing import TextIO

from handlers.conversation import Conversation
from handlers.messages import IncomingMessage, Reply
from knowledge.text import strip_controls


def render(reply: Reply) -> str:
    text = reply.text
    if reply.suggestions:
        text += "\n\nCó phải bạn muốn hỏi…\n" + "\n".join(
            f"  {i}. {s}" for i, s in enumerate(reply.suggestions, 1))
    return strip_controls(text)  # answers quote imported pages


class ConsoleChannel:
    """Chat in a terminal. A digit picks one of the last suggestions; empty line or Ctrl-D quits."""

    channel = "console"

    def __init__(self, conversation: Conversation, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout):
        self.conversation = conversation
        self.stdin, self.stdout = stdin, stdout
        self.suggestions: list[str] = []

    def push(self, text: str) -> list[Reply]:
        """One message in, its replies out (what the tests use)."""
        text = text.strip()
        content_type = "text"
        if text.isdigit() and 1 <= int(text) <= len(self.suggestions):
            text, content_type = self.suggestions[int(text) - 1], "suggestion"
        elif text.startswith("/"):
            content_type = "command"
        replies = self.conversation.respond(IncomingMessage(self.channel, "console", "console", text, content_type,
                                                            deliver_via=None))  # nothing comes back to a terminal
        self.suggestions = replies[-1].suggestions if replies else []
        return replies

    def run(self) -> int:
        print(self.conversation.start().text, file=self.stdout)
        print("(Gõ câu hỏi rồi nhấn Enter; dòng trống hoặc Ctrl-D để thoát.)", file=self.stdout)
        while True:
            print("\nBạn: ", end="", file=self.stdout, flush=True)
            line = self.stdin.readline()
            if not line or not line.strip():
                print("Tạm biệt!", file=self.stdout)
                return 0
            for reply in self.push(line):
                print("Bot: " + render(reply), file=self.stdout, flush=True)
