"""Build pipeline definitions in a fresh interpreter that records every attempt to use the network.

Usage: ``python offline_build.py REQUEST.json RESULT.json``. The request is
``{"specs": {id: PipelineSpec fields}, "repeat": [ids to build twice]}``; the result is
``{"definitions": {id: [definition, ...]}, "network_attempts": [...], "sdk_loaded_by_import": bool}``.

Sockets are patched before anything else is imported, so the SDK's import counts too. A refused
attempt may be swallowed by the code that made it, hence the record instead of relying on errors.
"""

import json
import socket
import sys

attempts: list[str] = []


def _refuse(what: str):
    def refuse(*args, **kwargs):
        attempts.append(f"{what}{args[1:] if what == 'connect' else args[:2]}")
        raise OSError(f"network disabled for offline definition builds ({what})")

    return refuse


socket.socket.connect = _refuse("connect")
socket.socket.connect_ex = _refuse("connect")
socket.create_connection = _refuse("create_connection")
socket.getaddrinfo = _refuse("getaddrinfo")


def main(request_path: str, result_path: str) -> None:
    from pipelines.definition import PipelineSpec, build_definition

    sdk_loaded_by_import = "sagemaker" in sys.modules
    with open(request_path) as request_file:
        request = json.load(request_file)
    definitions = {}
    for spec_id, fields in request["specs"].items():
        fields["subnet_ids"] = tuple(fields.get("subnet_ids", ()))
        fields["security_group_ids"] = tuple(fields.get("security_group_ids", ()))
        spec = PipelineSpec(**fields)
        builds = 2 if spec_id in request["repeat"] else 1
        definitions[spec_id] = [build_definition(spec) for _ in range(builds)]
    with open(result_path, "w") as result_file:
        json.dump(
            {"definitions": definitions, "network_attempts": attempts, "sdk_loaded_by_import": sdk_loaded_by_import},
            result_file,
        )


if __name__ == "__main__":
    main(*sys.argv[1:])
