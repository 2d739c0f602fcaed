"""A stand-in for the ``snakemake`` object, so tests can run a stage's ``main`` without Snakemake."""

from collections.abc import Mapping, Sequence
from typing import Any


class Namedlist(list):
    """A list whose entries can also be reached by name, like Snakemake's input/output."""

    def __init__(self, items: Mapping[str, Any] | Sequence[Any] = ()) -> None:
        if isinstance(items, Mapping):
            super().__init__(items.values())
            self._names = dict(items)
        else:
            super().__init__(items)
            self._names = {}

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_names"][name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default: Any = None) -> Any:
        return self._names.get(name, default)

    def keys(self):
        return self._names.keys()


class MockSnakemake:
    """A stand-in for the ``snakemake`` object, so tests can run a stage's ``main``.

    Modelled on PyPSA-Eur's ``mock_snakemake``, but built from plain values: no Snakefile
    is parsed, so a test states exactly which files a stage reads and writes.
    """

    def __init__(
        self,
        *,
        input: Mapping[str, Any] | Sequence[Any] = (),
        output: Mapping[str, Any] | Sequence[Any] = (),
        params: Mapping[str, Any] | None = None,
        log: Sequence[Any] = (),
        config: Mapping[str, Any] | None = None,
        wildcards: Mapping[str, Any] | None = None,
        threads: int = 1,
        rule: str = "mock",
    ) -> None:
        self.input = Namedlist(input)
        self.output = Namedlist(output)
        self.params = Namedlist(params or {})
        self.log = Namedlist(list(log))
        self.config = dict(config or {})
        self.wildcards = Namedlist(wildcards or {})
        self.threads = threads
        self.rule = rule
