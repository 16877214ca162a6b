"""A small user_agent processor: common browsers, operating systems and devices (not the full uap-core set)."""

from __future__ import annotations

import re
from typing import Any

from ..errors import EsError
from ..painless.runtime import class_name
from .document import IngestDocument
from .pipeline import Processor, Runner

_BROWSERS = [
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/(\d+)(?:\.(\d+))?(?:\.(\d+))?")),
    ("Opera", re.compile(r"OPR/(\d+)(?:\.(\d+))?(?:\.(\d+))?")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/(\d+)(?:\.(\d+))?")),
    ("Chrome Mobile", re.compile(r"Chrome/(\d+)(?:\.(\d+))?(?:\.(\d+))?.*Mobile")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS)/(\d+)(?:\.(\d+))?(?:\.(\d+))?")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/(\d+)(?:\.(\d+))?(?:\.(\d+))?")),
    ("Mobile Safari", re.compile(r"Version/(\d+)(?:\.(\d+))?(?:\.(\d+))?.*Mobile.*Safari")),
    ("Safari", re.compile(r"Version/(\d+)(?:\.(\d+))?(?:\.(\d+))?.*Safari")),
    ("IE", re.compile(r"(?:MSIE |Trident/.*rv:)(\d+)(?:\.(\d+))?")),
    ("curl", re.compile(r"curl/(\d+)(?:\.(\d+))?(?:\.(\d+))?")),
    ("Googlebot", re.compile(r"Googlebot/(\d+)(?:\.(\d+))?")),
    ("bingbot", re.compile(r"bingbot/(\d+)(?:\.(\d+))?")),
    ("Python Requests", re.compile(r"python-requests/(\d+)(?:\.(\d+))?(?:\.(\d+))?")),
]
_OS = [
    ("iOS", re.compile(r"(?:iPhone|CPU) OS (\d+)(?:_(\d+))?(?:_(\d+))?")),
    ("Android", re.compile(r"Android (\d+)(?:\.(\d+))?(?:\.(\d+))?")),
    ("Windows", re.compile(r"Windows NT (\d+)(?:\.(\d+))?")),
    ("Mac OS X", re.compile(r"Mac OS X (\d+)(?:[_.](\d+))?(?:[_.](\d+))?")),
    ("Chrome OS", re.compile(r"CrOS \S+ (\d+)(?:\.(\d+))?(?:\.(\d+))?")),
    ("Ubuntu", re.compile(r"Ubuntu(?:/(\d+)(?:\.(\d+))?)?")),
    ("Linux", re.compile(r"Linux()")),
]
_WINDOWS = {"10.0": "10", "6.3": "8.1", "6.2": "8", "6.1": "7", "6.0": "Vista", "5.1": "XP"}


def parse_user_agent(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": "Other"}
    for name, rx in _BROWSERS:
        m = rx.search(text)
        if m:
            out["name"] = name
            version = ".".join(g for g in m.groups() if g)
            if version:
                out["version"] = version
            break
    for name, rx in _OS:
        m = rx.search(text)
        if m:
            version = ".".join(g for g in m.groups() if g)
            if name == "Windows":
                version = _WINDOWS.get(version, version)
            os_info = {"name": name}
            if version:
                os_info["version"] = version
                os_info["full"] = f"{name} {version}"
            else:
                os_info["full"] = name
            out["os"] = os_info
            break
    if "iPhone" in text:
        out["device"] = {"name": "iPhone"}
    elif "iPad" in text:
        out["device"] = {"name": "iPad"}
    elif "Macintosh" in text:
        out["device"] = {"name": "Mac"}
    elif re.search(r"bot|crawler|spider", text, re.I):
        out["device"] = {"name": "Spider"}
    elif "Android" in text and "Mobile" in text:
        out["device"] = {"name": "Generic Smartphone"}
    else:
        out["device"] = {"name": "Other"}
    return out


class UserAgentProcessor(Processor):
    type = "user_agent"

    def __init__(self, field: str, target: str, properties: list[str] | None, ignore_missing: bool) -> None:
        super().__init__(None, None)
        self.field, self.target, self.properties, self.ignore_missing = field, target, properties, ignore_missing

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        value = doc.get(self.field, self.ignore_missing)
        if value is None:
            if self.ignore_missing:
                return doc
            raise EsError(400, "illegal_argument_exception", f"field [{self.field}] is null, cannot parse user-agent.")
        if type(value) is not str:
            raise EsError(400, "illegal_argument_exception", f"field [{self.field}] of type [{class_name(value)}] "
                                                             f"cannot be cast to [java.lang.String]")
        parsed = parse_user_agent(value)
        result: dict[str, Any] = {}
        props = self.properties or ["name", "os", "device", "original", "version"]
        if "original" in props:
            result["original"] = value
        for key in ("name", "version", "os", "device"):
            if key in props and key in parsed:
                result[key] = parsed[key]
        doc.set(self.target, result)
        return doc
