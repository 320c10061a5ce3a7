"""Policy documents: one deterministic JSON shape, built from Outputs."""

from __future__ import annotations

import json

import pulumi
from rendering import ACCOUNT, REGION

from components.policy_documents import deny_insecure_transport, document, statement
from mlops.plan.engine import run_program


def resolved_text(build) -> str:
    """The policy text ``build()`` returns, resolved under the mock engine."""
    _, outputs = run_program(lambda: {"policy": build()}, stack="dev", account_id=ACCOUNT, region=REGION)
    return outputs["policy"]


def resolved(build) -> dict:
    """The policy ``build()`` returns, resolved and parsed."""
    return json.loads(resolved_text(build))


def test_actions_are_sorted_and_empty_parts_left_out():
    body = statement("Read", ["s3:ListBucket", "s3:GetObject"])
    assert body == {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"]}


def test_resource_policy_statement_has_a_principal_and_no_resource():
    body = statement("Readers", ["s3:GetObject"], principal={"AWS": "arn:aws:iam::1:root"}, condition={"Bool": {"x": "y"}})
    assert "Resource" not in body and body["Principal"] == {"AWS": "arn:aws:iam::1:root"} and body["Condition"] == {"Bool": {"x": "y"}}


def test_deny_insecure_transport_denies_everyone_over_plain_http():
    deny = deny_insecure_transport(["sqs:*"], ["arn:aws:sqs:eu-west-1:1:q"])
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_document_resolves_outputs_inside_statements():
    def build() -> pulumi.Output[str]:
        arn = pulumi.Output.from_input("arn:aws:s3:::bucket")
        return document(statement("Read", ["s3:GetObject"], [pulumi.Output.concat(arn, "/*")]))

    policy = resolved(build)
    assert policy == {"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::bucket/*"]}]}


def test_document_text_has_sorted_keys_so_plans_are_byte_identical():
    text = resolved_text(lambda: document(statement("B", ["s3:GetObject"], ["*"])))
    assert text.index('"Statement"') < text.index('"Version"')
    assert text.index('"Action"') < text.index('"Effect"') < text.index('"Resource"') < text.index('"Sid"')
