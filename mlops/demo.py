"""``make demo``: a model's whole lifecycle on one machine, with no AWS account.

It starts moto's server on 127.0.0.1 as the AWS API, works in a temporary copy of the project
(the repository's catalog is never touched), and then does what the platform's users do:

1. onboard a pilot model with ``mlops model add``;
2. train candidates locally with the pipeline's own step code and register each one as the
   pipeline's register step would (``PendingManualApproval``, with its evaluation report);
3. approve, promote to test and prod with ``mlops approve`` / ``mlops promote``;
4. show the champion/challenger gate accept a better version and refuse a worse one;
5. print how the prod plan changed, then roll prod back with ``mlops rollback``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from ruamel.yaml import YAML

from infra.config import find_project_dir
from infra.config.loader import load_settings
from infra.config.names import group_name
from mlops.plan import PlanResult, plan_stack
from pipelines.definition import serving_image
from pipelines.local_run import run_locally, write_sample_dataset

console = Console(highlight=False)
MODEL = "demo-churn"
GROUP = group_name("mlops", MODEL)
ACCOUNT = "111122223333"
REGION = "eu-west-1"
#: A few weak features: a model trained on them passes the quality bar but is clearly worse.
WEAK_FEATURES = ("mean texture", "mean smoothness", "mean symmetry", "texture error")


def _mlops(project: Path, *args: str, expect: int = 0) -> int:
    """Run an ``mlops`` command as a user would; fail the demo on an unexpected exit code."""
    console.print(f"[bold cyan]$ mlops {' '.join(args)}[/bold cyan]")
    code = subprocess.run(
        [sys.executable, "-c", "from mlops.cli import app; app()", *args, "--project-dir", str(project)], check=False
    ).returncode
    if code != expect:
        raise SystemExit(f"demo: `mlops {' '.join(args)}` exited {code}, expected {expect}")
    return code


def _weak_dataset(folder: Path) -> Path:
    """The sample dataset cut down to a few weak features."""
    import pandas as pd

    full = pd.read_csv(write_sample_dataset("classification", folder / "full"))
    path = folder / "weak" / "data.csv"
    path.parent.mkdir(parents=True)
    full[[*WEAK_FEATURES, "target"]].to_csv(path, index=False)
    return path


class Registry:
    """Registers locally trained versions the way the pipeline's register step does."""

    def __init__(self, bucket: str):
        import boto3

        self.bucket = bucket
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sagemaker = boto3.client("sagemaker", region_name=REGION)
        self.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        self.sagemaker.create_model_package_group(
            ModelPackageGroupName=GROUP, ModelPackageGroupDescription="demo model"
        )
        self.image = serving_image(REGION)
        self.count = 0

    def register(self, workdir: Path, report: dict) -> None:
        """Upload the model and its evaluation report; register a PendingManualApproval version."""
        self.count += 1
        prefix = f"models/{MODEL}/candidates/{self.count}"
        archive = shutil.make_archive(str(workdir / "model"), "gztar", workdir / "model")
        self.s3.upload_file(archive, self.bucket, f"{prefix}/model.tar.gz")
        self.s3.put_object(Bucket=self.bucket, Key=f"{prefix}/evaluation.json", Body=json.dumps(report).encode())
        self.sagemaker.create_model_package(
            ModelPackageGroupName=GROUP,
            ModelApprovalStatus="PendingManualApproval",
            InferenceSpecification={
                "Containers": [{"Image": self.image, "ModelDataUrl": f"s3://{self.bucket}/{prefix}/model.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            ModelMetrics={
                "ModelQuality": {
                    "Statistics": {"ContentType": "application/json", "S3Uri": f"s3://{self.bucket}/{prefix}/evaluation.json"}
                }
            },
        )
        metric = report["primary_metric"]
        console.print(f"registered version {self.count}: {metric['name']} = {metric['value']:.4f} (PendingManualApproval)")


def _train(registry: Registry, workdir: Path, algorithm: str, dataset: Path | None) -> None:
    console.print(f"[bold]training {algorithm} locally{' on weak features' if dataset else ''}[/bold]")
    report = run_locally("classification", algorithm, "auc", "maximize", 0.75, workdir, dataset=dataset, model_name=MODEL)
    registry.register(workdir, report)


def _plan_diff(before: PlanResult, after: PlanResult) -> None:
    """What ``pulumi up`` would change in prod between the two plans."""
    old = {r.urn: r for r in before.registrations}
    new = {r.urn: r for r in after.registrations}
    for urn in sorted(new.keys() - old.keys()):
        console.print(f"  [green]+ {urn.rsplit('::', 1)[-1]}[/green]  {new[urn].type}")
    for urn in sorted(old.keys() - new.keys()):
        console.print(f"  [red]- {urn.rsplit('::', 1)[-1]}[/red]  {old[urn].type}")
    for urn in sorted(old.keys() & new.keys()):
        if old[urn].inputs != new[urn].inputs:
            keys = sorted(k for k in old[urn].inputs.keys() | new[urn].inputs.keys() if old[urn].inputs.get(k) != new[urn].inputs.get(k))
            console.print(f"  [yellow]~ {urn.rsplit('::', 1)[-1]}[/yellow]  {new[urn].type}: {', '.join(keys)}")


def main() -> None:
    """Run the demo end to end."""
    from moto.server import ThreadedMotoServer

    source = find_project_dir(Path.cwd())
    with tempfile.TemporaryDirectory(prefix="mlops-demo-") as temp:
        work = Path(temp)
        project = work / "project"
        project.mkdir()
        shutil.copy(source / "Pulumi.yaml", project)
        shutil.copytree(source / "stacks", project / "stacks", ignore=shutil.ignore_patterns("Pulumi.dev-*.yaml"))
        yaml = YAML()
        migration = yaml.load(project / "stacks/migration.yaml")
        migration["pilotLimit"] = 3
        yaml.dump(migration, project / "stacks/migration.yaml")

        os.environ.update(
            AWS_ACCESS_KEY_ID="demo", AWS_SECRET_ACCESS_KEY="demo", AWS_DEFAULT_REGION=REGION,
            AWS_REGION=REGION, MOTO_ACCOUNT_ID=ACCOUNT,
        )
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
            console.rule(f"AWS API: moto on {os.environ['AWS_ENDPOINT_URL']}; project copy in {project}")
            _mlops(project, "model", "add", MODEL, "--owner", "ml-platform", "--wave", "pilot",
                   "--description", "Demo churn classifier trained on the sample dataset")
            artifacts = load_settings(project, "dev").env
            registry = Registry(f"{artifacts.name_prefix}-dev-artifacts-{ACCOUNT}-{REGION}")
            weak = _weak_dataset(work / "data")

            console.rule("version 1: a first model on weak features")
            _train(registry, work / "v1", "logistic-regression", weak)
            _mlops(project, "approve", MODEL, "--version", "1", "--by", "dana", "--reason", "first usable model")
            _mlops(project, "promote", MODEL, "--to", "test", "--version", "1", "--by", "dana", "--reason", "first release")
            _mlops(project, "promote", MODEL, "--to", "prod", "--version", "1", "--by", "omar", "--reason", "pilot go-live")
            before = plan_stack(project, "prod")

            console.rule("version 2: a better model; the gate accepts it")
            _train(registry, work / "v2", "gradient-boosting", None)
            _mlops(project, "approve", MODEL, "--version", "2", "--by", "dana", "--reason", "all features")
            _mlops(project, "promote", MODEL, "--to", "test", "--version", "2", "--by", "dana", "--reason", "beats v1")
            _mlops(project, "promote", MODEL, "--to", "prod", "--version", "2", "--by", "omar", "--reason", "a week in test")

            console.rule("version 3: a worse model; the gate refuses it")
            _train(registry, work / "v3", "random-forest", weak)
            _mlops(project, "approve", MODEL, "--version", "3", "--by", "dana", "--reason", "cheaper to serve")
            _mlops(project, "promote", MODEL, "--to", "test", "--version", "3", "--by", "dana", "--reason", "try it", expect=1)

            console.rule("what `pulumi up` would change in prod (version 1 -> version 2)")
            _plan_diff(before, plan_stack(project, "prod"))

            console.rule("rollback: prod goes back to version 1")
            _mlops(project, "rollback", MODEL, "--env", "prod", "--by", "omar", "--reason", "demo rollback")
            _mlops(project, "versions", MODEL)
            console.print(f"[bold green]demo complete[/bold green]: {project / 'stacks/models' / (MODEL + '.yaml')} was pinned, gated and rolled back")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
