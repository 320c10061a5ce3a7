"""The live seam: every call to the Pulumi CLI and Automation API lives here and nowhere else.

Personal dev stacks (`mlops/devstacks/lifecycle.py`) talk to Pulumi only through the small `StackBackend`
protocol below. Tests inject an in-memory fake. The real implementation, `PulumiStackBackend`,
drives `pulumi.automation.LocalWorkspace` on the project root so the real `Pulumi.yaml` and
`stacks/Pulumi.<stack>.yaml` files are used, exactly as `pulumi up --stack <name>` would.

Where state lives, in Pulumi's own order of precedence:
1. `PULUMI_BACKEND_URL` (e.g. `s3://team-pulumi-state`, `https://api.pulumi.com`);
2. `backend.url` in `Pulumi.yaml`;
3. otherwise a local `file://<project>/.pulumi-state` backend, so no Pulumi Cloud account is
   needed. That folder is created on first use and ignored by git.

New stacks get the secrets provider `PULUMI_SECRETS_PROVIDER` (e.g. `awskms://alias/mlops-pulumi`)
or `passphrase`, which needs `PULUMI_CONFIG_PASSPHRASE` (or `PULUMI_CONFIG_PASSPHRASE_FILE`); that is
checked before a stack is created. Existing stacks keep their own provider, and Pulumi itself says
what is missing when `up` or `destroy` cannot decrypt. Use one team passphrase or KMS key: the
nightly reaper must be able to open everyone's stacks.

Stack tags carry ownership and expiry. Self-managed ("DIY") backends store tags since Pulumi CLI
3.211.0, and `pulumi config set-all --json` is older than that, so 3.211.0 is the minimum.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

PULUMI_INSTALL_URL = "https://www.pulumi.com/docs/iac/download-install/"
MINIMUM_PULUMI_VERSION = "3.211.0"
LOCAL_STATE_DIR = ".pulumi-state"
DEFAULT_SECRETS_PROVIDER = "passphrase"

PULUMI_CLI_MISSING = (
    "the Pulumi CLI is not installed (no `pulumi` on PATH): install it from "
    f"{PULUMI_INSTALL_URL} and then run `pulumi plugin install resource aws`; "
    "`mlops plan` works offline without it"
)
_UPGRADE = f"upgrade from {PULUMI_INSTALL_URL}"

OutputSink = Callable[[str], None]
"""Receives Pulumi's progress output, one line at a time."""


class BackendError(Exception):
    """A Pulumi operation failed; the message says which stack, what failed and what to do."""


class StackNotFoundError(BackendError):
    """The named stack does not exist in the configured backend."""


class PulumiCliUnavailableError(Exception):
    """The Pulumi CLI is missing or too old for the live path."""


@dataclass(frozen=True)
class StackSummary:
    """One stack as the backend lists it.

    Attributes:
        name: The stack name without organisation or project, e.g. `dev-alice-exp1`.
        tags: Every stack tag, including Pulumi's own (`pulumi:project`, ...).
        last_update: When the last update finished (UTC), or None if it never ran.
        resource_count: Resources in the stack's state, or None if the backend does not say.
    """

    name: str
    tags: Mapping[str, str]
    last_update: datetime | None
    resource_count: int | None


class StackBackend(Protocol):
    """What personal dev stacks need from Pulumi; the only way the rest of the code reaches it."""

    def create_or_select(self, name: str, config: Mapping[str, Any], tags: Mapping[str, str]) -> bool:
        """Create the stack if it is missing, then set `config` and `tags` on it.

        Config keys and tags not named are left as they are. Values are plain data (str, int,
        float, bool, lists and maps); lists and maps are stored as structured config.

        Returns:
            True if the stack was created, False if it already existed.
        """
        ...

    def up(self, name: str, on_output: OutputSink | None = None) -> Mapping[str, int]:
        """Run `pulumi up` on an existing stack; returns the resource changes, e.g. {"create": 12}."""
        ...

    def destroy(
        self, name: str, *, remove: bool = True, on_output: OutputSink | None = None
    ) -> Mapping[str, int]:
        """Destroy every resource of the stack and, with `remove`, delete the stack and its config."""
        ...

    def list_stacks(self) -> list[StackSummary]:
        """Every stack of this project in the backend, with its tags."""
        ...

    def get_tags(self, name: str) -> Mapping[str, str]:
        """The stack's tags; raises StackNotFoundError if there is no such stack."""
        ...

    def outputs(self, name: str) -> Mapping[str, Any]:
        """The stack's outputs as plain values (what a StackReference reads); raises
        StackNotFoundError if there is no such stack."""
        ...


@dataclass(frozen=True)
class BackendSettings:
    """Where Pulumi keeps state and how it encrypts secrets, resolved from the environment.

    Attributes:
        backend_url: The state backend in use, for messages.
        secrets_provider: Passed to `pulumi stack init --secrets-provider` for new stacks.
        env_vars: Extra environment for every Pulumi command.
        passphrase_available: Whether a passphrase is set, when `secrets_provider` needs one.
    """

    backend_url: str
    secrets_provider: str
    env_vars: Mapping[str, str] = field(default_factory=dict)
    passphrase_available: bool = True

    def require_secrets(self, stack: str) -> None:
        """Before creating `stack`: raise a BackendError saying what to set if secrets cannot work."""
        if self.secrets_provider == "passphrase" and not self.passphrase_available:
            raise BackendError(
                f"{stack}: PULUMI_CONFIG_PASSPHRASE is not set and the `passphrase` secrets "
                "provider needs it; export PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE), "
                "or set PULUMI_SECRETS_PROVIDER to a KMS key such as awskms://alias/mlops-pulumi"
            )


def resolve_backend_settings(project_dir: Path, environ: Mapping[str, str]) -> BackendSettings:
    """Decide the state backend and secrets provider for `project_dir`.

    Creates `<project>/.pulumi-state` when it becomes the backend.
    """
    secrets_provider = environ.get("PULUMI_SECRETS_PROVIDER") or DEFAULT_SECRETS_PROVIDER
    passphrase_available = "PULUMI_CONFIG_PASSPHRASE" in environ or "PULUMI_CONFIG_PASSPHRASE_FILE" in environ
    if environ.get("PULUMI_BACKEND_URL"):
        url, env_vars = environ["PULUMI_BACKEND_URL"], {}
    elif project_url := _project_backend_url(project_dir):
        url, env_vars = project_url, {}
    else:
        state_dir = (project_dir / LOCAL_STATE_DIR).resolve()
        state_dir.mkdir(parents=True, exist_ok=True)
        url = f"file://{state_dir.as_posix()}"
        env_vars = {"PULUMI_BACKEND_URL": url}
    return BackendSettings(
        backend_url=url,
        secrets_provider=secrets_provider,
        env_vars=env_vars,
        passphrase_available=passphrase_available,
    )


def _project_backend_url(project_dir: Path) -> str | None:
    try:
        project = YAML(typ="safe").load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8"))
    except (OSError, YAMLError):
        return None
    backend = project.get("backend") if isinstance(project, dict) else None
    url = backend.get("url") if isinstance(backend, dict) else None
    return url if isinstance(url, str) and url else None


def require_pulumi_cli() -> str:
    """Return the path of the `pulumi` executable, or raise PulumiCliUnavailableError saying how to install it."""
    path = shutil.which("pulumi")
    if path is None:
        raise PulumiCliUnavailableError(PULUMI_CLI_MISSING)
    return path


def open_backend(project_dir: Path) -> StackBackend:
    """The real backend for the project at `project_dir`; the CLI's default backend factory."""
    return PulumiStackBackend(project_dir, os.environ)


class PulumiStackBackend:
    """`StackBackend` over `pulumi.automation.LocalWorkspace`, with the project root as work dir."""

    def __init__(self, project_dir: Path, environ: Mapping[str, str]) -> None:
        """Check the CLI, resolve backend and secrets settings and open the workspace.

        Args:
            project_dir: The folder holding `Pulumi.yaml`.
            environ: Where to read PULUMI_* settings from (normally `os.environ`, which Pulumi
                commands also inherit).

        Raises:
            PulumiCliUnavailableError: `pulumi` is missing or older than MINIMUM_PULUMI_VERSION.
        """
        require_pulumi_cli()
        # Imported on use: `pulumi.automation` takes about a second to import and only the live
        # path needs it, so `mlops dev --help` and the offline tests stay fast.
        from pulumi import automation as auto
        from semver import VersionInfo

        self._auto = auto
        self.settings = resolve_backend_settings(project_dir, environ)
        try:
            self._workspace = auto.LocalWorkspace(
                work_dir=str(project_dir),
                env_vars=dict(self.settings.env_vars),
                secrets_provider=self.settings.secrets_provider,
            )
            version = self._workspace.pulumi_version
        except FileNotFoundError as error:
            raise PulumiCliUnavailableError(PULUMI_CLI_MISSING) from error
        except auto.InvalidVersionError as error:
            raise PulumiCliUnavailableError(f"cannot tell the Pulumi CLI version ({error}); {_UPGRADE}") from error
        if VersionInfo.parse(version.lstrip("v")) < VersionInfo.parse(MINIMUM_PULUMI_VERSION):
            raise PulumiCliUnavailableError(
                f"Pulumi CLI {version} is too old: personal dev stacks need {MINIMUM_PULUMI_VERSION} or newer "
                f"(stack tags on self-managed backends); {_UPGRADE}"
            )

    def create_or_select(self, name: str, config: Mapping[str, Any], tags: Mapping[str, str]) -> bool:
        """See StackBackend.create_or_select."""
        with self._translate_errors(name, "create"):
            try:
                stack = self._auto.Stack.select(name, self._workspace)
                created = False
            except self._auto.StackNotFoundError:
                self.settings.require_secrets(name)
                stack = self._auto.Stack.create(name, self._workspace)
                created = True
            stack.set_all_config_json(json.dumps(config_json(config)))
            for key, value in tags.items():
                self._workspace.set_tag(name, key, value)
        return created

    def up(self, name: str, on_output: OutputSink | None = None) -> Mapping[str, int]:
        """See StackBackend.up."""
        with self._translate_errors(name, "up"):
            stack = self._auto.Stack.select(name, self._workspace)
            result = stack.up(on_output=on_output, on_error=on_output, color="never")
        return dict(result.summary.resource_changes or {})

    def destroy(
        self, name: str, *, remove: bool = True, on_output: OutputSink | None = None
    ) -> Mapping[str, int]:
        """See StackBackend.destroy."""
        with self._translate_errors(name, "destroy"):
            stack = self._auto.Stack.select(name, self._workspace)
            result = stack.destroy(on_output=on_output, on_error=on_output, color="never", remove=remove)
        return dict(result.summary.resource_changes or {})

    def list_stacks(self) -> list[StackSummary]:
        """See StackBackend.list_stacks."""
        with self._translate_errors("(all stacks)", "list"):
            summaries = self._workspace.list_stacks()
            return [
                StackSummary(
                    name=summary.name.rsplit("/", 1)[-1],
                    tags=dict(self._workspace.list_tags(summary.name)),
                    last_update=_as_utc(summary.last_update),
                    resource_count=summary.resource_count,
                )
                for summary in summaries
            ]

    def get_tags(self, name: str) -> Mapping[str, str]:
        """See StackBackend.get_tags."""
        with self._translate_errors(name, "read tags of"):
            return dict(self._workspace.list_tags(name))

    def outputs(self, name: str) -> Mapping[str, Any]:
        """See StackBackend.outputs."""
        with self._translate_errors(name, "read outputs of"):
            stack = self._auto.Stack.select(name, self._workspace)
            return {key: output.value for key, output in stack.outputs().items()}

    @contextmanager
    def _translate_errors(self, stack: str, action: str) -> Iterator[None]:
        """Turn Automation API errors into BackendErrors that name the stack and the backend."""
        auto = self._auto
        where = f"in {self.settings.backend_url}"
        try:
            yield
        except auto.StackNotFoundError as error:
            raise StackNotFoundError(f"{stack}: no such stack {where}") from error
        except auto.ConcurrentUpdateError as error:
            raise BackendError(
                f"{stack}: another update holds the stack's lock {where}; wait for it to finish, or if it "
                f"crashed run `pulumi cancel --stack {stack}` (Pulumi Cloud) or delete the stack's lock "
                "under .pulumi/locks/ in the state backend (self-managed)"
            ) from error
        except auto.CommandError as error:
            raise BackendError(f"{stack}: pulumi {action} failed {where}: {pulumi_error_summary(error)}") from error
        except OSError as error:
            raise BackendError(f"{stack}: could not run pulumi {action}: {error}") from error


def config_json(config: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """`config` in the shape `pulumi config set-all --json` reads (the shape `pulumi config --json` prints).

    Scalars become strings, as Pulumi stores top-level values; lists and maps keep their
    structure through `objectValue`.
    """
    shaped: dict[str, dict[str, Any]] = {}
    for key, value in config.items():
        plain = _plain(value)
        if isinstance(plain, (dict, list)):
            shaped[key] = {"value": json.dumps(plain), "objectValue": plain, "secret": False}
        else:
            shaped[key] = {"value": _scalar_text(plain), "secret": False}
    return shaped


def _plain(value: Any) -> Any:
    """Plain JSON data: mappings become dicts and sequences lists, at any depth."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _as_utc(moment: datetime | None) -> datetime | None:
    """The Automation API returns naive UTC datetimes; make them explicit."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def pulumi_error_summary(error: Exception) -> str:
    """The `error:` lines of a failed Pulumi command on one line, or its last output line."""
    text = str(error)
    stderr = text.split(" stderr:", 1)[-1]
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error:")]
    chosen = errors or lines[-1:] or ["no error output"]
    return "; ".join(chosen)
