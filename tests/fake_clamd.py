"""A stand-in for ClamAV's daemon on a Unix socket, speaking the part of clamd's protocol the portal uses (INSTREAM:
4-byte big-endian lengths, then the chunk, ended by a zero length), so the real client library (clamdpy) is what
the tests exercise. A stream holding the EICAR test string is reported infected, as clamd does."""

import socketserver
import struct
import threading

# The antivirus industry's harmless test string (eicar.org), split so that no scanner flags this file.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class _Handler(socketserver.StreamRequestHandler):
    def handle(self):
        command = self.rfile.readline()
        if command.strip() != b"nINSTREAM":
            self.wfile.write(b"UNKNOWN COMMAND\n")
            return
        received = bytearray()
        while True:
            (length,) = struct.unpack("!L", self.rfile.read(4))
            if not length:
                break
            received += self.rfile.read(length)
        self.server.scanned.append(bytes(received))
        if EICAR in received:
            self.wfile.write(b"stream: Eicar-Test-Signature FOUND\n")
        else:
            self.wfile.write(b"stream: OK\n")


class FakeClamd(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path):
        super().__init__(str(path), _Handler)
        self.scanned: list[bytes] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.shutdown()
        self.server_close()
