"""durable-sync's payload codec, written independently in Python for the cross-check.

seal KEY_B64 PAYLOAD_JSON  -> base64 of nonce || AES-GCM(serialised Payload) (tag appended)
open KEY_B64 DATA_B64      -> the Payload as JSON
A Payload as JSON: {"metadata": {name: base64}, "data": base64}. Serialised by hand as the
protobuf message temporal.api.common.v1.Payload (map<string, bytes> metadata = 1; bytes data = 2).
"""
import base64
import json
import os
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field(number, data):
    return varint(number << 3 | 2) + varint(len(data)) + data


def serialise(payload):
    out = b""
    for name, value in payload["metadata"].items():
        out += field(1, field(1, name.encode()) + field(2, base64.b64decode(value)))
    return out + field(2, base64.b64decode(payload["data"]))


def fields(data):
    position = 0
    while position < len(data):
        tag, position = read_varint(data, position)
        if tag & 7 != 2:
            raise ValueError("unexpected wire type")
        length, position = read_varint(data, position)
        yield tag >> 3, data[position : position + length]
        position += length


def read_varint(data, position):
    shift = result = 0
    while True:
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, position


def parse(data):
    payload = {"metadata": {}, "data": ""}
    for number, value in fields(data):
        if number == 1:
            entry = dict(fields(value))
            payload["metadata"][entry[1].decode()] = base64.b64encode(entry.get(2, b"")).decode()
        elif number == 2:
            payload["data"] = base64.b64encode(value).decode()
    return payload


def main():
    command, key = sys.argv[1], AESGCM(base64.b64decode(sys.argv[2]))
    if command == "seal":
        nonce = os.urandom(12)
        sealed = nonce + key.encrypt(nonce, serialise(json.loads(sys.argv[3])), None)
        print(base64.b64encode(sealed).decode())
    elif command == "open":
        data = base64.b64decode(sys.argv[3])
        print(json.dumps(parse(key.decrypt(data[:12], data[12:], None))))
    else:
        raise SystemExit(f"unknown command {command}")


main()
