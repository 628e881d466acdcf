"""placeholder"""
from __future__ import annotations
from typing import Any


def setup(plugin: Any) -> None:
    pass
