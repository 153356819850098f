"""A real SMTP server on loopback for the test suite.

Accepts every message and appends it, decoded, as one JSON line (from, to, subject, text, html,
attachments with their file name, content type and text)
to the file named on the command line, with the raw headers. Prints "ready" once it listens. Started and stopped by
tsunagu_testkit::SmtpSink.
"""
import email
import json
import signal
import sys
from email import policy

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        text = html = ""
        attachments = []
        for part in message.walk():
            if part.get_filename():
                attachments.append({
                    "filename": part.get_filename(),
                    "content_type": part.get("Content-Type", ""),
                    "content": part.get_content() if part.get_content_maintype() == "text"
                    else "",
                })
            elif part.get_content_type() == "text/plain":
                text = part.get_content()
            elif part.get_content_type() == "text/html":
                html = part.get_content()
        # The headers as sent (still RFC 2047-encoded), lower-case names, for header tests.
        raw = email.message_from_bytes(envelope.content, policy=policy.compat32)
        headers = {name.lower(): str(value) for name, value in raw.items()}
        record = {
            "headers": headers,
            "from": str(message["From"]),
            "to": envelope.rcpt_tos,
            "subject": str(message["Subject"]),
            "text": text,
            "html": html,
            "attachments": attachments,
        }
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return "250 Message accepted"


def main():
    port, path = int(sys.argv[1]), sys.argv[2]
    controller = Controller(Handler(path), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        signal.pause()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
