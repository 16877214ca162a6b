"""The grok processor with a built-in set of the common (legacy) grok patterns."""

from __future__ import annotations

import re
from typing import Any

from ..errors import EsError
from ..painless.runtime import class_name
from .document import IngestDocument
from .pipeline import Processor, Runner

_IPV4_OCTET = r"(?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2})"
_H16 = r"[0-9A-Fa-f]{1,4}"
_IPV6 = (
    r"(?:(?:" + _H16 + r":){7}(?:" + _H16 + r"|:)|(?:" + _H16 + r":){6}(?::" + _H16 + r"|%{IPV4}|:)|"
    r"(?:" + _H16 + r":){5}(?:(?::" + _H16 + r"){1,2}|:%{IPV4}|:)|(?:" + _H16 + r":){4}(?:(?::" + _H16
    + r"){1,3}|(?::" + _H16 + r")?:%{IPV4}|:)|(?:" + _H16 + r":){3}(?:(?::" + _H16 + r"){1,4}|(?::" + _H16
    + r"){0,2}:%{IPV4}|:)|(?:" + _H16 + r":){2}(?:(?::" + _H16 + r"){1,5}|(?::" + _H16 + r"){0,3}:%{IPV4}|:)|"
    r"(?:" + _H16 + r":){1}(?:(?::" + _H16 + r"){1,6}|(?::" + _H16 + r"){0,4}:%{IPV4}|:)|"
    r":(?:(?::" + _H16 + r"){1,7}|(?::" + _H16 + r"){0,5}:%{IPV4}|:))(?:%.+)?"
)

PATTERNS: dict[str, str] = {
    "USERNAME": r"[a-zA-Z0-9._-]+",
    "USER": r"%{USERNAME}",
    "EMAILLOCALPART": r"[a-zA-Z0-9!#$%&'*+\-/=?^_`{|}~]{1,64}(?:\.[a-zA-Z0-9!#$%&'*+\-/=?^_`{|}~]{1,62}){0,63}",
    "EMAILADDRESS": r"%{EMAILLOCALPART}@%{HOSTNAME}",
    "INT": r"(?:[+-]?(?:[0-9]+))",
    "BASE10NUM": r"(?<![0-9.+-])(?>[+-]?(?:(?:[0-9]+(?:\.[0-9]+)?)|(?:\.[0-9]+)))",
    "NUMBER": r"(?:%{BASE10NUM})",
    "BASE16NUM": r"(?<![0-9A-Fa-f])(?:[+-]?(?:0x)?(?:[0-9A-Fa-f]+))",
    "BASE16FLOAT": r"\b(?<![0-9A-Fa-f.])(?:[+-]?(?:0x)?(?:(?:[0-9A-Fa-f]+(?:\.[0-9A-Fa-f]*)?)|(?:\.[0-9A-Fa-f]+)))\b",
    "POSINT": r"\b(?:[1-9][0-9]*)\b",
    "NONNEGINT": r"\b(?:[0-9]+)\b",
    "WORD": r"\b\w+\b",
    "NOTSPACE": r"\S+",
    "SPACE": r"\s*",
    "DATA": r".*?",
    "GREEDYDATA": r".*",
    "QUOTEDSTRING": r"(?>(?<!\\)(?>\"(?>\\.|[^\\\"]+)+\"|\"\"|(?>'(?>\\.|[^\\']+)+')|''|(?>`(?>\\.|[^\\`]+)+`)|``))",
    "UUID": r"[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}",
    "URN": r"urn:[0-9A-Za-z][0-9A-Za-z-]{0,31}:(?:%[0-9a-fA-F]{2}|[0-9A-Za-z()+,.:=@;$_!*'/?#-])+",
    "CISCOMAC": r"(?:(?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4})",
    "WINDOWSMAC": r"(?:(?:[A-Fa-f0-9]{2}-){5}[A-Fa-f0-9]{2})",
    "COMMONMAC": r"(?:(?:[A-Fa-f0-9]{2}:){5}[A-Fa-f0-9]{2})",
    "MAC": r"(?:%{CISCOMAC}|%{WINDOWSMAC}|%{COMMONMAC})",
    "IPV6": _IPV6,
    "IPV4": rf"(?<![0-9])(?:{_IPV4_OCTET}[.]{_IPV4_OCTET}[.]{_IPV4_OCTET}[.]{_IPV4_OCTET})(?![0-9])",
    "IP": r"(?:%{IPV6}|%{IPV4})",
    "HOSTNAME": r"\b(?:[0-9A-Za-z][0-9A-Za-z-]{0,62})(?:\.(?:[0-9A-Za-z][0-9A-Za-z-]{0,62}))*(?:\.?|\b)",
    "IPORHOST": r"(?:%{IP}|%{HOSTNAME})",
    "HOSTPORT": r"%{IPORHOST}:%{POSINT}",
    "UNIXPATH": r"(?:/[A-Za-z0-9_%!$@:.,+~-]*)+",
    "TTY": r"(?:/dev/(?:pts|tty(?:[pq])?)(?:\w+)?/?(?:[0-9]+))",
    "WINPATH": r"(?>[A-Za-z]+:|\\)(?:\\[^\\?*]*)+",
    "PATH": r"(?:%{UNIXPATH}|%{WINPATH})",
    "URIPROTO": r"[A-Za-z](?:[A-Za-z0-9+\-.]+)+",
    "URIHOST": r"%{IPORHOST}(?::%{POSINT})?",
    "URIPATH": r"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\-]*)+",
    "URIQUERY": r"[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]<>]*",
    "URIPARAM": r"\?%{URIQUERY}",
    "URIPATHPARAM": r"%{URIPATH}(?:\?%{URIQUERY})?",
    "URI": r"%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATH}(?:\?%{URIQUERY})?)?",
    "MONTH": r"\b(?:[Jj]an(?:uary|uar)?|[Ff]eb(?:ruary|ruar)?|[Mm](?:a|ä)?r(?:ch|z)?|[Aa]pr(?:il)?|[Mm]a(?:y|i)?|"
             r"[Jj]un(?:e|i)?|[Jj]ul(?:y|i)?|[Aa]ug(?:ust)?|[Ss]ep(?:tember)?|[Oo](?:c|k)?t(?:ober)?|"
             r"[Nn]ov(?:ember)?|[Dd]e(?:c|z)(?:ember)?)\b",
    "MONTHNUM": r"(?:0?[1-9]|1[0-2])",
    "MONTHNUM2": r"(?:0[1-9]|1[0-2])",
    "MONTHDAY": r"(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])",
    "DAY": r"(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)",
    "YEAR": r"(?>\d\d){1,2}",
    "HOUR": r"(?:2[0123]|[01]?[0-9])",
    "MINUTE": r"(?:[0-5][0-9])",
    "SECOND": r"(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)",
    "TIME": r"(?<![0-9])%{HOUR}:%{MINUTE}(?::%{SECOND})(?![0-9])",
    "DATE_US": r"%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}",
    "DATE_EU": r"%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}",
    "ISO8601_TIMEZONE": r"(?:Z|[+-]%{HOUR}(?::?%{MINUTE}))",
    "ISO8601_SECOND": r"%{SECOND}",
    "TIMESTAMP_ISO8601": r"%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?"
                         r"%{ISO8601_TIMEZONE}?",
    "DATE": r"%{DATE_US}|%{DATE_EU}",
    "DATESTAMP": r"%{DATE}[- ]%{TIME}",
    "TZ": r"(?:[APMCE][SD]T|UTC)",
    "DATESTAMP_RFC822": r"%{DAY} %{MONTH} %{MONTHDAY} %{YEAR} %{TIME} %{TZ}",
    "DATESTAMP_RFC2822": r"%{DAY}, %{MONTHDAY} %{MONTH} %{YEAR} %{TIME} %{ISO8601_TIMEZONE}",
    "DATESTAMP_OTHER": r"%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{TZ} %{YEAR}",
    "DATESTAMP_EVENTLOG": r"%{YEAR}%{MONTHNUM2}%{MONTHDAY}%{HOUR}%{MINUTE}%{SECOND}",
    "SYSLOGTIMESTAMP": r"%{MONTH} +%{MONTHDAY} %{TIME}",
    "PROG": r"[\x21-\x5a\x5c\x5e-\x7e]+",
    "SYSLOGPROG": r"%{PROG:program}(?:\[%{POSINT:pid}\])?",
    "SYSLOGHOST": r"%{IPORHOST}",
    "SYSLOGFACILITY": r"<%{NONNEGINT:facility}.%{NONNEGINT:priority}>",
    "HTTPDATE": r"%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}",
    "QS": r"%{QUOTEDSTRING}",
    "SYSLOGBASE": r"%{SYSLOGTIMESTAMP:timestamp} (?:%{SYSLOGFACILITY} )?%{SYSLOGHOST:logsource} %{SYSLOGPROG}:",
    "LOGLEVEL": r"(?:[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo?(?:rmation)?|"
                r"INFO?(?:RMATION)?|[Ww]arn?(?:ing)?|WARN?(?:ING)?|[Ee]rr?(?:or)?|ERR?(?:OR)?|[Cc]rit?(?:ical)?|"
                r"CRIT?(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?)",
    "HTTPDUSER": r"%{EMAILADDRESS}|%{USER}",
    "HTTPDERROR_DATE": r"%{DAY} %{MONTH} %{MONTHDAY} %{TIME} %{YEAR}",
    "COMMONAPACHELOG": r"%{IPORHOST:clientip} %{HTTPDUSER:ident} %{HTTPDUSER:auth} \[%{HTTPDATE:timestamp}\] "
                       r"\"(?:%{WORD:verb} %{NOTSPACE:request}(?: HTTP/%{NUMBER:httpversion})?|%{DATA:rawrequest})\""
                       r" %{NUMBER:response} (?:%{NUMBER:bytes}|-)",
    "COMBINEDAPACHELOG": r"%{COMMONAPACHELOG} %{QS:referrer} %{QS:agent}",
}

_REF = re.compile(r"%\{(\w+)(?::([\w@\[\].-]+))?(?::(\w+))?\}")
_NAMED = re.compile(r"\(\?<([A-Za-z][\w.@\[\]-]*)>")
TYPES = ("int", "long", "float", "double", "boolean", "string")


def grok_error(message: str) -> EsError:
    return EsError(400, "illegal_argument_exception", message)


def _field_name(name: str) -> str:
    if name.startswith("["):
        return ".".join(p for p in re.split(r"[\[\]]+", name) if p)
    return name


class CompiledGrok:
    def __init__(self, source: str, regex: re.Pattern, captures: dict[str, tuple[str, str | None]]) -> None:
        self.source = source
        self.regex = regex
        self.captures = captures

    def match(self, text: str) -> dict[str, Any] | None:
        m = self.regex.search(text)
        if m is None:
            return None
        out: dict[str, Any] = {}
        for group, value in m.groupdict().items():
            if value is None:
                continue
            name, kind = self.captures[group]
            if name in out:
                continue
            out[name] = _convert(value, kind)
        return out


def _convert(value: str, kind: str | None) -> Any:
    if kind in ("int", "long"):
        try:
            return int(value)
        except ValueError:
            raise EsError(400, "number_format_exception", f'For input string: "{value}"') from None
    if kind in ("float", "double"):
        try:
            return float(value)
        except ValueError:
            raise EsError(400, "number_format_exception", f'For input string: "{value}"') from None
    if kind == "boolean":
        return value.lower() == "true"
    return value


def compile_grok(pattern: str, definitions: dict[str, str] | None = None) -> CompiledGrok:
    library = dict(PATTERNS)
    if definitions:
        library.update({k: str(v) for k, v in definitions.items()})
    captures: dict[str, tuple[str, str | None]] = {}
    counter = [0]

    def new_group(name: str, kind: str | None) -> str:
        counter[0] += 1
        group = f"g{counter[0]}"
        captures[group] = (_field_name(name), kind)
        return group

    def expand(text: str, stack: tuple[str, ...]) -> str:
        def named(m: re.Match) -> str:
            return f"(?P<{new_group(m.group(1), None)}>"

        text = _NAMED.sub(named, text)

        def ref(m: re.Match) -> str:
            name, field, kind = m.group(1), m.group(2), m.group(3)
            if name not in library:
                raise grok_error(f"Unable to find pattern [{name}] in Grok's pattern dictionary")
            if name in stack:
                chain = "".join(f"[{s}]" for s in (*stack[stack.index(name):], name))
                raise grok_error(f"circular reference in pattern [{name}]{chain[len(name) + 2:]}")
            if kind is not None and kind not in TYPES:
                kind = None
            body = expand(library[name], (*stack, name))
            if field:
                return f"(?P<{new_group(field, kind)}>{body})"
            return f"(?:{body})"

        return _REF.sub(ref, text)

    try:
        regex = re.compile(expand(pattern, ()))
    except re.error as exc:
        raise grok_error(f"Invalid regex pattern found in: [{pattern}]. {exc}") from None
    return CompiledGrok(pattern, regex, captures)


class GrokProcessor(Processor):
    type = "grok"

    def __init__(self, field: str, patterns: list[CompiledGrok], trace_match: bool, ignore_missing: bool) -> None:
        super().__init__(None, None)
        self.field, self.patterns, self.trace_match, self.ignore_missing = field, patterns, trace_match, \
            ignore_missing

    def execute(self, doc: IngestDocument, runner: Runner) -> IngestDocument:
        value = doc.get(self.field, self.ignore_missing)
        if value is None:
            if self.ignore_missing:
                return doc
            raise grok_error(f"field [{self.field}] is null, cannot process it.")
        if type(value) is not str:
            raise grok_error(f"field [{self.field}] of type [{class_name(value)}] cannot be cast to "
                             f"[java.lang.String]")
        for i, pattern in enumerate(self.patterns):
            matched = pattern.match(value)
            if matched is not None:
                for key, extracted in matched.items():
                    doc.set(key, extracted)
                if self.trace_match:
                    doc.ingest["_grok_match_index"] = str(i) if len(self.patterns) > 1 else "0"
                return doc
        raise grok_error(f"Provided Grok expressions do not match field value: [{value}]")
