"""One rule shape shared by every service: prod stateful resources survive a bad `pulumi up`.

`protect` makes Pulumi refuse any delete or replace; `retain_on_delete` keeps the cloud resource
when Pulumi drops it from state (reference section 2.7). A lost bucket, key, registry or
repository takes models with it, so both are required in prod.
"""

from __future__ import annotations

from collections.abc import Iterator

from policy.framework import PROD_ONLY, Context, Resource, Rule, Severity, resource_rule


def protected_in_prod_rule(*, id: str, what: str, types: tuple[str, ...],
                           severity: Severity = "high", anchors: tuple[str, ...] = ()) -> Rule:
    """A rule requiring `protect` and `retain_on_delete` on `types` in prod.

    Args:
        id: the rule id, e.g. `s3-bucket-protected-in-prod`.
        what: the resources in plain words, e.g. "S3 buckets".
        types: the Pulumi type tokens it applies to.
        severity: the rule's severity.
        anchors: service-specific anchor IDs, cited before the ML Lens recoverability ones.
    """
    @resource_rule(
        id=id,
        title=f"Prod {what} are protected and retained on delete",
        severity=severity,
        anchors=(*anchors, "MLREL-13", "MLREL05-BP02"),
        mandatory_in=PROD_ONLY,
        types=types,
    )
    def check(resource: Resource, context: Context) -> Iterator[str]:
        if context.environment != "prod":
            return
        if not resource.options.protect:
            yield "set ResourceOptions(protect=True): prod state must not be deleted or replaced by an update"
        # None means the source cannot tell (the policy-pack engine does not report it).
        if resource.options.retain_on_delete is False:
            yield "set ResourceOptions(retain_on_delete=True): the resource must outlive its Pulumi state"

    return check
