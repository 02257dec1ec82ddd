#!/usr/bin/env python3
"""Test client for `vfiobuf serve`: speaks the protocol raw, so tests can
send what vfiobuf's own client never would (malformed JSON, oversize
messages, file descriptors).

  vbclient.py SOCKET [--send-fd] [--hold-fd] MSG...

Each MSG is sent as one SOCK_SEQPACKET message (text as given; @N sends N
bytes of 'x'); each reply is printed on one line, followed by
"fd=N size=S" when it carried a file descriptor (its fdinfo size).
--send-fd attaches a pipe fd to every message (a kernel that refuses it,
SO_PASSRIGHTS off, prints "sendmsg refused: EPERM" for that message).  --events N then waits for
N pushed events and prints them.  In a MSG, {lease} stands for the lease id
of the last reply that named one.
"""
import array
import json
import os
import socket
import sys


def fd_size(fd):
    with open(f"/proc/self/fdinfo/{fd}") as f:
        for line in f:
            if line.startswith("size:"):
                return int(line.split()[1])
    return -1


def main():
    args = sys.argv[1:]
    path = args.pop(0)
    send_fd = "--send-fd" in args
    events = 0
    if "--events" in args:
        i = args.index("--events")
        events = int(args[i + 1])
        del args[i:i + 2]
    args = [a for a in args if a != "--send-fd"]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    lease = 0
    for msg in args:
        msg = msg.replace("{lease}", str(lease))
        data = b"x" * int(msg[1:]) if msg.startswith("@") else msg.encode()
        if send_fd:
            r, w = os.pipe()
            try:
                s.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r, w]))])
            except PermissionError:
                print("sendmsg refused: EPERM", flush=True)
                continue
            finally:
                os.close(r)
                os.close(w)
        else:
            s.send(data)
        reply, fds, _, _ = socket.recv_fds(s, 70000, 4)
        line = reply.decode()
        try:
            lease = json.loads(line).get("lease", lease)
        except ValueError:
            pass
        for fd in fds:
            line += f" fd={fd} size={fd_size(fd)}"
        print(line, flush=True)
    for _ in range(events):
        reply, fds, _, _ = socket.recv_fds(s, 70000, 4)
        if not reply:
            print("EOF", flush=True)
            break
        print(reply.decode(), flush=True)


if __name__ == "__main__":
    main()
