"""AWS API input models from botocore: what the real API would accept, checked offline."""

from __future__ import annotations

from functools import cache
from typing import Any

from botocore.model import ServiceModel
from botocore.session import get_session
from botocore.validate import ParamValidator


@cache
def _service_model(service: str) -> ServiceModel:
    return get_session().get_service_model(service)


def api_input_errors(service: str, operation: str, params: dict[str, Any]) -> str:
    """botocore's report of what is wrong with ``params`` (empty when the API accepts them)."""
    shape = _service_model(service).operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    return report.generate_report() if report.has_errors() else ""
