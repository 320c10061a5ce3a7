"""What the monitoring steps share: where data is, how captured traffic reads, how metrics are published.

``monitor_drift.py`` and ``monitor_quality.py`` import it as a sibling module (``import
monitoring_data``), locally from their own folder, inside SageMaker from an input folder on
``PYTHONPATH`` (see ``pipelines.definition.monitoring``). It uses the standard library, numpy,
pandas and boto3 only: all of them ship in the SageMaker scikit-learn image, and the jobs run
without internet access, so nothing can be installed at run time.

Locations are ``s3://bucket/prefix`` URIs or local folders/files with the same layout, so a step
runs on this machine exactly as in a job. The steps read S3 themselves instead of through
processing inputs: a job copies only the hours of its window (the capture prefix grows without
end), and a baseline that is not there becomes a metric instead of a failed job.

Data capture (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html)
writes JSON Lines under ``<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/``, one request per line::

    {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                       "data": "34,79.5,1", "encoding": "CSV"},
                     "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                        "data": "0.82", "encoding": "CSV"}},
     "eventMetadata": {"eventId": "...", "inferenceId": "...", "inferenceTime": "2026-12-01T10:15:02Z"},
     "eventVersion": "0"}

``encoding`` is ``CSV``, ``JSON`` or ``BASE64`` (content types not declared as CSV or JSON in the
endpoint's CaptureContentTypeHeader); ``inferenceId`` is there when the caller passed one.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

DECIMALS = 6
# Files of a capture or ground-truth prefix that hold records.
RECORD_SUFFIXES = (".jsonl", ".json", ".csv")
# PutMetricData takes at most 1,000 metrics per request
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html).
MAX_METRICS_PER_REQUEST = 1000
# Dimension value length, from the botocore model of CloudWatch (shape DimensionValue, max 1024).
MAX_DIMENSION_VALUE = 1024
# The dimensions every monitoring metric carries.
MODEL_DIMENSION, VERSION_DIMENSION, ENVIRONMENT_DIMENSION = "Model", "Version", "Environment"


class MonitoringInputError(SystemExit):
    """A step's input is unusable; the message says which input and why (exit code 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = 2


# ---- time window -------------------------------------------------------------------------------


def parse_time(text: str) -> datetime:
    """An ISO 8601 time (``Z`` or an offset; a time without one is UTC) as an aware UTC datetime."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise MonitoringInputError(f"{text!r} is not an ISO 8601 time such as 2026-12-01T10:00:00Z") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


@dataclass(frozen=True)
class Window:
    """The half-open time window [start, end) a monitoring run looks at."""

    start: datetime
    end: datetime

    @classmethod
    def ending(cls, end: str, hours: float) -> Window:
        """The ``hours`` before ``end`` (ISO 8601)."""
        if not hours > 0:
            raise MonitoringInputError(f"the window must be longer than 0 hours, got {hours}")
        stop = parse_time(end)
        return cls(stop - timedelta(hours=hours), stop)

    def partitions(self) -> list[str]:
        """The ``yyyy/mm/dd/hh/`` folders that can hold records of the window.

        Data capture files a record under the hour it writes the file, never before the
        inference, so the folders run from the window's first hour to the hour it ends in: a
        request just before the end may be written after it.
        """
        hour = self.start.replace(minute=0, second=0, microsecond=0)
        folders = []
        while hour <= self.end:
            folders.append(hour.strftime("%Y/%m/%d/%H/"))
            hour += timedelta(hours=1)
        return folders

    def holds(self, moment: datetime) -> bool:
        """Whether ``moment`` falls in the window."""
        return self.start <= moment < self.end

    def to_json(self) -> dict[str, str]:
        """The window as ISO 8601 text, for reports."""
        return {"start": _iso(self.start), "end": _iso(self.end)}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- storage: S3 or local, one layout ------------------------------------------------------------


def is_s3(location: str) -> bool:
    """Whether ``location`` is an ``s3://`` URI (else a local path)."""
    return location.startswith("s3://")


def split_s3(uri: str) -> tuple[str, str]:
    """Bucket and key of an ``s3://bucket/key`` URI."""
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise MonitoringInputError(f"{uri!r} names no bucket")
    return bucket, key


def aws_client(service: str, region: str | None) -> Any:
    """A boto3 client with the standard retry mode; AWS_ENDPOINT_URL, if set, redirects it."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, region_name=region, config=Config(retries={"mode": "standard", "max_attempts": 5}))


def recorded_baseline_uri(model_package_arn: str, region: str | None, sagemaker_client: Any = None) -> str:
    """The baseline URI a registered version records in its metadata; "" when it records none.

    Monitoring reads the baseline of the version it serves, never the newest run's: each training
    run writes its own, and registration records it on the version (``DescribeModelPackage``,
    CustomerMetadataProperties). Any error but "no such version" fails the job, which the
    "monitoring not running" alarm then reports.
    """
    # Imported here, as in the jobs (a sibling on PYTHONPATH), so this module stays importable
    # as pipelines.steps.monitoring_data too.
    import step_contract
    from botocore.exceptions import ClientError

    client = sagemaker_client or aws_client("sagemaker", region)
    try:
        described = client.describe_model_package(ModelPackageName=model_package_arn)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("ValidationException", "ResourceNotFound"):
            return ""
        raise
    return (described.get("CustomerMetadataProperties") or {}).get(step_contract.BASELINE_URI_METADATA_KEY, "")


class Storage:
    """Reads objects from S3 (one lazily created client) or files from the local disk."""

    def __init__(self, region: str | None = None, s3_client: Any = None) -> None:
        self._region = region
        self._s3 = s3_client

    def _client(self) -> Any:
        if self._s3 is None:
            self._s3 = aws_client("s3", self._region)
        return self._s3

    def read(self, location: str) -> bytes | None:
        """The bytes at ``location``, or None when nothing is there."""
        if not is_s3(location):
            path = Path(location)
            return path.read_bytes() if path.is_file() else None
        bucket, key = split_s3(location)
        client = self._client()
        try:
            return client.get_object(Bucket=bucket, Key=key)["Body"].read()
        except client.exceptions.NoSuchKey:
            return None

    def list_records(self, prefix: str, partitions: Iterable[str] | None = None) -> list[str]:
        """Record files under ``prefix`` (only in the given ``yyyy/mm/dd/hh/`` folders), sorted."""
        base = prefix if prefix.endswith("/") else prefix + "/"
        folders = [base + folder for folder in partitions] if partitions is not None else [base]
        found: list[str] = []
        for folder in folders:
            if is_s3(folder):
                bucket, key = split_s3(folder)
                pages = self._client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
                found += [f"s3://{bucket}/{item['Key']}" for page in pages for item in page.get("Contents", [])]
            elif Path(folder).is_dir():
                found += [str(path) for path in Path(folder).rglob("*") if path.is_file()]
        return sorted(location for location in found if location.endswith(RECORD_SUFFIXES))


# ---- captured traffic ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CapturedRequest:
    """One captured request: its id, time, feature rows and (if captured) predictions."""

    inference_id: str
    time: datetime
    rows: list[list[Any]] | list[dict[str, Any]]
    predictions: list[Any]


def _decode(payload: dict[str, Any]) -> tuple[str, str]:
    """The text of a captured payload and whether it is ``csv`` or ``json``."""
    data, encoding = payload.get("data", ""), payload.get("encoding", "CSV").upper()
    content_type = payload.get("observedContentType", "").lower()
    if encoding == "BASE64":
        data = base64.b64decode(data).decode("utf-8")
        encoding = "JSON" if "json" in content_type else "CSV"
    return data, "json" if encoding == "JSON" else "csv"


def _csv_rows(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text)) if row]


def _json_rows(value: Any) -> list:
    """Feature rows of a JSON request: a row, a list of rows, or {"instances": rows}."""
    if isinstance(value, dict):
        if "instances" in value:
            return _json_rows(value["instances"])
        if "features" in value:
            return _json_rows(value["features"])
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, (list, dict)) for item in value):
        return value
    return [value] if isinstance(value, list) else [[value]]


def _predictions(payload: dict[str, Any] | None, rows: int) -> list[Any]:
    """One prediction per row: a number, or a list of class probabilities."""
    if not payload:
        return []
    text, kind = _decode(payload)
    if kind == "csv":
        parsed: list[Any] = [[float(cell) for cell in row] for row in _csv_rows(text)]
        if len(parsed) == 1 and rows > 1 and len(parsed[0]) == rows:
            parsed = parsed[0]  # one line of one value per row
    else:
        value = json.loads(text)
        if isinstance(value, dict):
            value = value.get("predictions", value.get("scores", value.get("probabilities", [])))
        parsed = value if isinstance(value, list) else [value]
    flat = [item[0] if isinstance(item, list) and len(item) == 1 else item for item in parsed]
    return flat if len(flat) == rows else []


def parse_capture_line(line: str) -> CapturedRequest:
    """One line of a data capture file."""
    record = json.loads(line)
    metadata = record.get("eventMetadata", {})
    capture = record.get("captureData", {})
    text, kind = _decode(capture.get("endpointInput", {}))
    rows = _csv_rows(text) if kind == "csv" else _json_rows(json.loads(text))
    return CapturedRequest(
        # The caller's id when it gave one (what ground truth is labelled with), else the event's.
        inference_id=str(metadata.get("inferenceId") or metadata.get("eventId", "")),
        time=parse_time(metadata["inferenceTime"]),
        rows=rows,
        predictions=_predictions(capture.get("endpointOutput"), len(rows)),
    )


def read_captured(storage: Storage, capture_prefix: str, window: Window) -> Iterator[CapturedRequest]:
    """The captured requests of ``window``, in file order."""
    for location in storage.list_records(capture_prefix, window.partitions()):
        content = storage.read(location) or b""
        for number, line in enumerate(content.decode("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                request = parse_capture_line(line)
            except (KeyError, ValueError, TypeError) as error:
                raise MonitoringInputError(f"{location}:{number}: not a data capture record ({error})") from None
            if window.holds(request.time):
                yield request


def row_ids(request: CapturedRequest) -> list[str]:
    """Join keys of a request's rows: its inference id, or ``<id>:<row>`` for a request of several rows."""
    if len(request.rows) == 1:
        return [request.inference_id]
    return [f"{request.inference_id}:{index}" for index in range(len(request.rows))]


# ---- CloudWatch ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """One CloudWatch datum: name, value, unit and dimensions (name, value) in a fixed order."""

    name: str
    value: float
    dimensions: tuple[tuple[str, str], ...]
    unit: str = "None"

    def to_datum(self, timestamp: datetime) -> dict[str, Any]:
        """The PutMetricData MetricDatum."""
        for name, value in self.dimensions:
            if not value or len(value) > MAX_DIMENSION_VALUE:
                raise MonitoringInputError(
                    f"metric {self.name}: dimension {name} must be 1-{MAX_DIMENSION_VALUE} characters, got {value!r}"
                )
        return {
            "MetricName": self.name,
            "Dimensions": [{"Name": name, "Value": value} for name, value in self.dimensions],
            "Timestamp": timestamp,
            "Value": round(float(self.value), DECIMALS),
            "Unit": self.unit,
        }


def model_dimensions(model: str, version: str, environment: str) -> tuple[tuple[str, str], ...]:
    """The dimensions every monitoring metric of a model carries."""
    return ((MODEL_DIMENSION, model), (VERSION_DIMENSION, version), (ENVIRONMENT_DIMENSION, environment))


def publish_metrics(cloudwatch: Any, namespace: str, metrics: list[Metric], timestamp: datetime) -> int:
    """Put ``metrics`` into ``namespace`` at ``timestamp`` (the window's end); the number of requests.

    Values that are not finite are refused by CloudWatch, so they are an error here too.
    """
    for metric in metrics:
        if not math.isfinite(metric.value):
            raise ValueError(f"metric {metric.name} {dict(metric.dimensions)} is {metric.value}, not a finite number")
    data = [metric.to_datum(timestamp) for metric in metrics]
    requests = 0
    for start in range(0, len(data), MAX_METRICS_PER_REQUEST):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + MAX_METRICS_PER_REQUEST])
        requests += 1
    return requests


def metrics_document(namespace: str, metrics: list[Metric], window: Window) -> dict[str, Any]:
    """The metrics a run publishes, as written next to its report."""
    return {
        "namespace": namespace,
        "timestamp": window.to_json()["end"],
        "metrics": [
            {"name": m.name, "value": round(float(m.value), DECIMALS), "unit": m.unit, "dimensions": dict(m.dimensions)}
            for m in metrics
        ],
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write ``document`` with sorted keys (the same run gives the same bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
