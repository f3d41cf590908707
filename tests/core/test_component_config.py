"""Component configs: dump and load, provider paths, trust rules, versions, secrets."""

from __future__ import annotations

import json
import sys
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from pydantic import BaseModel, SecretStr

from parlay_core._component_config import (
    Component,
    ComponentBase,
    ComponentModel,
    is_component_class,
    is_component_instance,
)
from parlay_core._component_loading import load_component
from parlay_core._component_providers import (
    is_code_execution_allowed,
    load_permissions,
    require_code_execution,
)
from parlay_core._exceptions import (
    ComponentConfigError,
    ComponentError,
    ComponentLoadError,
    ComponentNotAllowedError,
    ComponentTypeError,
)
from parlay_core.plugins import MODEL_CLIENTS, TOOLS, registered
from tests.core._fake_dists import on_sys_path, write_distribution

HERE = __name__  # the dotted module path configs written by this file's components use


class CounterConfig(BaseModel):
    start: int
    step: int = 1
    note: str | None = None


class Counter(Component[CounterConfig]):
    """Counts upwards.

    The second paragraph is not part of the description.
    """

    component_type = "counter"
    component_config_schema = CounterConfig

    def __init__(self, start: int, step: int = 1, note: str | None = None) -> None:
        self.start = start
        self.step = step
        self.note = note

    def _to_config(self) -> CounterConfig:
        return CounterConfig(start=self.start, step=self.step, note=self.note)

    @classmethod
    def _from_config(cls, config: CounterConfig) -> Counter:
        return cls(config.start, config.step, config.note)


class PairConfig(BaseModel):
    first: ComponentModel
    second: ComponentModel


class Pair(Component[PairConfig]):
    """Two counters."""

    component_type = "pair"
    component_config_schema = PairConfig
    component_label = "A pair"
    component_description = "Holds two counters."

    def __init__(self, first: Counter, second: Counter) -> None:
        self.first = first
        self.second = second

    def _to_config(self) -> PairConfig:
        return PairConfig(first=self.first.dump_component(), second=self.second.dump_component())

    @classmethod
    def _from_config(cls, config: PairConfig) -> Pair:
        return cls(Counter.load_component(config.first), Counter.load_component(config.second))


class ClientConfig(BaseModel):
    model: str
    api_key: SecretStr | None = None


class ModelFamily(ComponentBase[BaseModel], ABC):
    """An abstract family, like ChatCompletionClient: subclasses need not be complete."""

    component_type = "model"

    @abstractmethod
    def name(self) -> str: ...


class KeyedClient(ModelFamily, Component[ClientConfig]):
    """A client with a secret."""

    component_config_schema = ClientConfig

    def __init__(self, model: str, api_key: str | None = None) -> None:
        self.model = model
        self.api_key = SecretStr(api_key) if api_key is not None else None

    def name(self) -> str:
        return self.model

    def _to_config(self) -> ClientConfig:
        return ClientConfig(model=self.model, api_key=self.api_key)

    @classmethod
    def _from_config(cls, config: ClientConfig) -> KeyedClient:
        key = config.api_key.get_secret_value() if config.api_key is not None else None
        return cls(config.model, key)


class WrapperConfig(BaseModel):
    client: ComponentModel


class Wrapper(ComponentBase[WrapperConfig], Component[WrapperConfig]):
    """Wraps a client (AutoGen's documented base order: ComponentBase first)."""

    component_type = "agent"
    component_config_schema = WrapperConfig

    def __init__(self, client: ModelFamily) -> None:
        self.client = client

    def _to_config(self) -> WrapperConfig:
        return WrapperConfig(client=self.client.dump_component())

    @classmethod
    def _from_config(cls, config: WrapperConfig) -> Wrapper:
        return cls(ModelFamily.load_component(config.client))


class Published(Counter):
    """A counter published under another path."""

    component_provider_override = "somewhere.public.Published"


class PublishedChild(Published):
    """Inherits the override's class but not its path."""


class GaugeConfig(BaseModel):
    level: int


class GaugeConfigV1(BaseModel):
    percent: int


class Gauge(Component[GaugeConfig]):
    """At version 2 the config field ``percent`` became ``level`` (tenths)."""

    component_type = "gauge"
    component_config_schema = GaugeConfig
    component_version = 2

    def __init__(self, level: int) -> None:
        self.level = level

    def _to_config(self) -> GaugeConfig:
        return GaugeConfig(level=self.level)

    @classmethod
    def _from_config(cls, config: GaugeConfig) -> Gauge:
        return cls(config.level)

    @classmethod
    def _from_config_past_version(cls, config: dict[str, Any], version: int) -> Gauge:
        old = GaugeConfigV1.model_validate(config)
        return cls(old.percent // 10)


class Meter(Gauge):
    """Version 2 as well, but without an upgrade path."""

    @classmethod
    def _from_config_past_version(cls, config: dict[str, Any], version: int) -> Meter:
        return super(Gauge, cls)._from_config_past_version(config, version)


class ScriptConfig(BaseModel):
    source: str


class Script(Component[ScriptConfig]):
    """Carries source code in its config, like a function tool."""

    component_type = "tool"
    component_config_schema = ScriptConfig

    def __init__(self, source: str) -> None:
        self.source = source
        namespace: dict[str, Any] = {}
        exec(source, namespace)
        self.result = namespace["RESULT"]

    def _to_config(self) -> ScriptConfig:
        return ScriptConfig(source=self.source)

    @classmethod
    def _from_config(cls, config: ScriptConfig) -> Script:
        require_code_execution("the source code of a Script")
        return cls(config.source)


def trusted(model: ComponentModel | dict[str, Any], expected: type[Any] | None = None) -> Any:
    return load_component(model, expected, allow_import_paths=[HERE])


# --- dumping -----------------------------------------------------------------------------------


def test_dump_writes_autogen_shape() -> None:
    dumped = Counter(3, step=2).dump_component()
    assert dumped.model_dump() == {
        "provider": f"{HERE}.Counter",
        "component_type": "counter",
        "version": 1,
        "component_version": 1,
        "description": "Counts upwards.",
        "label": "Counter",
        "config": {"start": 3, "step": 2},
    }


class OverrideConfig(BaseModel):
    limit: int | None = 10


class Limited(Component[OverrideConfig]):
    """Overrides a default with None."""

    component_type = "limited"
    component_config_schema = OverrideConfig

    def _to_config(self) -> OverrideConfig:
        return OverrideConfig(limit=None)

    @classmethod
    def _from_config(cls, config: OverrideConfig) -> Limited:
        return cls()


def test_dump_keeps_a_none_that_overrides_a_default() -> None:
    assert Limited().dump_component().config == {"limit": None}


def test_label_and_description_class_vars_win() -> None:
    dumped = Pair(Counter(1), Counter(2)).dump_component()
    assert dumped.label == "A pair"
    assert dumped.description == "Holds two counters."


def test_provider_override_applies_to_its_own_class_only() -> None:
    assert Published(1).dump_component().provider == "somewhere.public.Published"
    assert PublishedChild(1).dump_component().provider == f"{HERE}.PublishedChild"


def test_provider_prefers_the_public_package_that_reexports(tmp_path: Path) -> None:
    package = tmp_path / "acme_public"
    (package / "widgets").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "widgets" / "__init__.py").write_text(
        "from acme_public.widgets._impl import Widget\n"
    )
    (package / "widgets" / "_impl.py").write_text(
        "from pydantic import BaseModel\n"
        "from parlay_core._component_config import Component\n"
        "class WidgetConfig(BaseModel):\n    size: int\n"
        "class Widget(Component[WidgetConfig]):\n"
        "    component_type = 'widget'\n    component_config_schema = WidgetConfig\n"
        "    def __init__(self, size):\n        self.size = size\n"
        "    def _to_config(self):\n        return WidgetConfig(size=self.size)\n"
        "    @classmethod\n    def _from_config(cls, config):\n        return cls(config.size)\n"
    )
    with on_sys_path(tmp_path, "acme_public"):
        from acme_public.widgets import Widget  # type: ignore[import-not-found]  # pyright: ignore

        dumped = Widget(4).dump_component()
        assert dumped.provider == "acme_public.widgets.Widget"
        loaded = load_component(dumped, allow_import_paths=["acme_public"])
        assert type(loaded) is Widget
        assert loaded.size == 4
        # Loading through the class trusts the public package its dumps name, too.
        assert Widget.load_component(dumped).size == 4


def test_dump_is_json_ready() -> None:
    dumped = KeyedClient("m", api_key="sk-123").dump_component()
    assert json.loads(json.dumps(dumped.model_dump()))["config"] == {
        "model": "m",
        "api_key": "**********",
    }


def test_dump_without_component_type_fails() -> None:
    class Untyped(ComponentBase[CounterConfig]):
        def _to_config(self) -> CounterConfig:
            return CounterConfig(start=1)

    with pytest.raises(ComponentTypeError, match="component_type"):
        Untyped().dump_component()


def test_dump_without_to_config_fails_clearly() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        class NoDump(Component[CounterConfig]):
            component_type = "x"
            component_config_schema = CounterConfig

    with pytest.raises(ComponentTypeError, match="does not implement _to_config"):
        NoDump().dump_component()


# --- round trips -------------------------------------------------------------------------------


def test_round_trip() -> None:
    loaded = trusted(Counter(5, step=3, note="n").dump_component())
    assert type(loaded) is Counter
    assert (loaded.start, loaded.step, loaded.note) == (5, 3, "n")


def test_round_trip_through_json_with_nested_components() -> None:
    text = Pair(Counter(1), Counter(2, step=7)).dump_component().model_dump_json()
    loaded = trusted(json.loads(text))
    assert type(loaded) is Pair
    assert (loaded.first.start, loaded.second.start, loaded.second.step) == (1, 2, 7)


def test_both_base_orders_and_abstract_families_work() -> None:
    wrapper = Wrapper(KeyedClient("gpt", api_key="k"))
    loaded = Wrapper.load_component(
        wrapper.dump_component(include_secrets=True), allow_import_paths=[HERE]
    )
    assert isinstance(loaded, Wrapper)
    assert loaded.client.name() == "gpt"
    assert is_component_class(KeyedClient)
    assert is_component_class(Wrapper)
    assert is_component_instance(wrapper)
    assert not is_component_class(ModelFamily)
    assert not is_component_instance(object())


def test_load_on_a_class_returns_that_class() -> None:
    loaded = Counter.load_component(Counter(9).dump_component(), allow_import_paths=[HERE])
    assert loaded.start == 9


# --- versions ----------------------------------------------------------------------------------


def test_older_version_is_upgraded() -> None:
    old = {
        "provider": f"{HERE}.Gauge",
        "component_type": "gauge",
        "component_version": 1,
        "config": {"percent": 70},
    }
    loaded = trusted(old)
    assert type(loaded) is Gauge
    assert loaded.level == 7


def test_version_field_is_read_when_component_version_is_absent() -> None:
    old = {"provider": f"{HERE}.Gauge", "version": 1, "config": {"percent": 30}}
    assert trusted(old).level == 3


def test_current_version_validates_against_the_schema() -> None:
    dumped = Gauge(4).dump_component()
    assert (dumped.version, dumped.component_version) == (2, 2)
    assert trusted(dumped).level == 4


def test_older_version_without_upgrade_is_refused() -> None:
    old = {"provider": f"{HERE}.Meter", "component_version": 1, "config": {"percent": 30}}
    with pytest.raises(ComponentConfigError, match="cannot read a config of version 1"):
        trusted(old)


def test_newer_version_asks_for_an_upgrade() -> None:
    new = {"provider": f"{HERE}.Gauge", "component_version": 3, "config": {"level": 1}}
    with pytest.raises(ComponentConfigError, match="newer than the installed 2"):
        trusted(new)


# --- validation and types ----------------------------------------------------------------------


def test_schema_failure_names_the_field() -> None:
    bad = {"provider": f"{HERE}.Counter", "config": {"start": "five"}}
    with pytest.raises(ComponentConfigError) as caught:
        trusted(bad)
    message = str(caught.value)
    assert "start" in message
    assert "'five'" in message
    assert "CounterConfig" in message
    assert isinstance(caught.value, ValueError)


def test_not_a_component_model_is_a_config_error() -> None:
    with pytest.raises(ComponentConfigError, match="'provider' and 'config'"):
        load_component({"config": {}})


def test_expected_type_mismatch() -> None:
    with pytest.raises(ComponentTypeError, match="not a Pair"):
        trusted(Counter(1).dump_component(), Pair)


def test_load_on_the_wrong_class() -> None:
    with pytest.raises(ComponentTypeError, match="not a Pair"):
        Pair.load_component(Counter(1).dump_component(), allow_import_paths=[HERE])


def test_component_type_mismatch() -> None:
    dumped = Counter(1).dump_component().model_copy(update={"component_type": "tool"})
    with pytest.raises(ComponentTypeError, match="'counter' component"):
        trusted(dumped)


def test_provider_that_is_not_a_component() -> None:
    with pytest.raises(ComponentTypeError, match="not a component class"):
        load_component({"provider": "parlay_core.plugins.list_plugins", "config": {}})


def test_autogen_paths_are_read_as_parlay_paths() -> None:
    with pytest.raises(ComponentTypeError, match="function list_plugins"):
        load_component({"provider": "autogen_core.plugins.list_plugins", "config": {}})


# --- unknown providers ---------------------------------------------------------------------------


def test_unknown_module_inside_parlay() -> None:
    with pytest.raises(ComponentLoadError) as caught:
        load_component({"provider": "parlay_core.no_such_module.Thing", "config": {}})
    assert "'parlay_core.no_such_module'" in str(caught.value)
    assert "parlay-core" in str(caught.value)


def test_provider_from_a_package_that_is_not_installed() -> None:
    with pytest.raises(ComponentLoadError) as caught:
        load_component(
            {"provider": "absent_pkg_for_test.mod.Thing", "config": {}}, allow_any_import=True
        )
    message = str(caught.value)
    assert "install the distribution that provides the package 'absent_pkg_for_test'" in message


def test_unknown_attribute() -> None:
    with pytest.raises(ComponentLoadError, match="attribute path 'NoSuchClass'"):
        load_component({"provider": f"{HERE}.NoSuchClass", "config": {}}, allow_import_paths=[HERE])


def test_unknown_plugin_name_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every extra is installed for the tests, so pretend parlay-ext knew one more integration.
    from parlay_core.plugins._groups import _PARLAY_EXT_EXTRAS  # pyright: ignore[reportPrivateUsage]

    monkeypatch.setitem(_PARLAY_EXT_EXTRAS["parlay.code_executors"], "quantum", "quantum")
    with pytest.raises(ComponentLoadError, match=r"parlay-ext\[quantum\]"):
        load_component({"provider": "quantum", "component_type": "code_executor", "config": {}})
    with pytest.raises(ComponentLoadError, match="not a plugin name in any of the groups"):
        load_component({"provider": "no_such_plugin_anywhere", "config": {}})


def test_malformed_provider() -> None:
    with pytest.raises(ComponentLoadError, match="not a dotted path"):
        load_component({"provider": "parlay_core.__builtins__.eval", "config": {}})


# --- who may import what -------------------------------------------------------------------------


@pytest.fixture
def outsider(tmp_path: Path) -> Iterator[Path]:
    """An importable package outside Parlay whose import leaves a trace."""
    package = tmp_path / "outsider_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("IMPORTED = True\nclass NotAComponent:\n    pass\n")
    with on_sys_path(tmp_path, "outsider_pkg"):
        yield tmp_path


def test_disallowed_path_is_refused_without_importing(outsider: Path) -> None:
    with pytest.raises(ComponentNotAllowedError) as caught:
        load_component({"provider": "outsider_pkg.NotAComponent", "config": {}})
    message = str(caught.value)
    assert "outsider_pkg" in message
    assert "allow_import_paths=['outsider_pkg']" in message
    assert "outsider_pkg" not in sys.modules


def test_the_calling_module_is_trusted() -> None:
    # Counter lives in this test module, which is the code asking for the load: a config may
    # name what the calling code could have named itself.
    assert type(load_component(Counter(1).dump_component())) is Counter


WIDGETS = """
from pydantic import BaseModel
from parlay_core import Component, load_component


class WidgetConfig(BaseModel):
    size: int


class Widget(Component[WidgetConfig]):
    component_type = "custom"
    component_config_schema = WidgetConfig

    def __init__(self, size: int) -> None:
        self.size = size

    def _to_config(self) -> WidgetConfig:
        return WidgetConfig(size=self.size)

    @classmethod
    def _from_config(cls, config: WidgetConfig) -> "Widget":
        return cls(config.size)


def load_here(config):
    return load_component(config)
"""


@pytest.fixture
def widgets(tmp_path: Path) -> Iterator[Any]:
    """An imported user module outside Parlay that defines a component and loads configs."""
    (tmp_path / "outsider_widgets.py").write_text(WIDGETS)
    with on_sys_path(tmp_path, "outsider_widgets"):
        import outsider_widgets  # pyright: ignore[reportMissingImports]

        yield outsider_widgets


def test_another_module_needs_permission_even_when_imported(widgets: Any) -> None:
    config = widgets.Widget(3).dump_component()
    with pytest.raises(ComponentNotAllowedError, match="outsider_widgets"):
        load_component(config)
    # The module itself may load its own components: it is the calling code there.
    assert widgets.load_here(config).size == 3


def test_allowed_with_import_path_permission(outsider: Path) -> None:
    with pytest.raises(ComponentTypeError, match="not a component class"):
        load_component(
            {"provider": "outsider_pkg.NotAComponent", "config": {}},
            allow_import_paths=["outsider_pkg"],
        )
    assert sys.modules["outsider_pkg"].IMPORTED


def test_prefix_permission_matches_whole_names(outsider: Path) -> None:
    with pytest.raises(ComponentNotAllowedError):
        load_component(
            {"provider": "outsider_pkg.NotAComponent", "config": {}},
            allow_import_paths=["outsider"],
        )


def test_allow_any_import(outsider: Path) -> None:
    assert type(load_component(Counter(2).dump_component(), allow_any_import=True)) is Counter


def test_permission_block_covers_nested_loads_and_ends(widgets: Any) -> None:
    dumped = Pair(Counter(1), Counter(2)).dump_component()
    config = widgets.Widget(4).dump_component()
    with load_permissions(allow_import_paths=["outsider_widgets"]):
        assert type(load_component(dumped)) is Pair
        assert load_component(config).size == 4
    with pytest.raises(ComponentNotAllowedError):
        load_component(config)


def test_bad_permission_prefix() -> None:
    with (
        pytest.raises(ValueError, match="dotted module prefixes"),
        load_permissions(allow_import_paths=["not a path"]),
    ):
        pass


def test_plugin_distribution_packages_are_trusted(tmp_path: Path) -> None:
    write_distribution(
        tmp_path,
        "acme-components",
        "1.0",
        {TOOLS: {"acme-tool": "acme_components.tools:Tool"}},
        {
            "acme_components/__init__.py": "",
            "acme_components/tools.py": "class Tool:\n    pass\n",
            "acme_components/counters.py": f"from {HERE} import Counter as Counter\n",
        },
    )
    with on_sys_path(tmp_path, "acme_components"):
        loaded = load_component(
            {"provider": "acme_components.counters.Counter", "config": {"start": 4}}
        )
        assert type(loaded) is Counter


# --- plugin names as providers -------------------------------------------------------------------


def test_entry_point_name_as_provider() -> None:
    with registered(MODEL_CLIENTS, "keyed", KeyedClient):
        loaded = load_component(
            {"provider": "keyed", "component_type": "model", "config": {"model": "x"}}
        )
        assert isinstance(loaded, KeyedClient)
        assert loaded.name() == "x"


def test_one_name_in_two_groups_is_chosen_by_type_or_expected_class() -> None:
    with registered(MODEL_CLIENTS, "twin", KeyedClient), registered(TOOLS, "twin", Script):
        as_model = load_component(
            {"provider": "twin", "component_type": "model", "config": {"model": "m"}}
        )
        assert isinstance(as_model, KeyedClient)
        by_class = ModelFamily.load_component({"provider": "twin", "config": {"model": "m"}})
        assert isinstance(by_class, KeyedClient)
        with pytest.raises(ComponentLoadError, match="set the config's component_type"):
            load_component({"provider": "twin", "config": {"model": "m"}})


def test_plugin_that_is_not_a_component() -> None:
    with (
        registered(TOOLS, "plain", object),
        pytest.raises(ComponentTypeError, match="not a component class"),
    ):
        load_component({"provider": "plain", "component_type": "tool", "config": {}})


# --- secrets -------------------------------------------------------------------------------------


def test_secrets_are_masked_by_default() -> None:
    dumped = KeyedClient("m", api_key="sk-secret").dump_component()
    assert dumped.config["api_key"] == "**********"
    assert "sk-secret" not in dumped.model_dump_json()


def test_masked_secret_refuses_to_load() -> None:
    dumped = KeyedClient("m", api_key="sk-secret").dump_component()
    with pytest.raises(ComponentConfigError, match="masked secrets in api_key"):
        trusted(dumped)


def test_secrets_included_on_request_round_trip() -> None:
    dumped = KeyedClient("m", api_key="sk-secret").dump_component(include_secrets=True)
    assert dumped.config["api_key"] == "sk-secret"
    loaded = trusted(json.loads(dumped.model_dump_json()))
    assert loaded.api_key.get_secret_value() == "sk-secret"


def test_secret_choice_reaches_nested_components() -> None:
    wrapper = Wrapper(KeyedClient("m", api_key="sk-nested"))
    assert wrapper.dump_component().config["client"]["config"]["api_key"] == "**********"
    revealed = wrapper.dump_component(include_secrets=True)
    assert revealed.config["client"]["config"]["api_key"] == "sk-nested"
    assert wrapper.dump_component().config["client"]["config"]["api_key"] == "**********"


def test_absent_secret_is_fine() -> None:
    dumped = KeyedClient("m").dump_component()
    assert "api_key" not in dumped.config
    assert trusted(dumped).api_key is None


# --- code execution ------------------------------------------------------------------------------


def test_code_in_config_is_not_run_without_permission() -> None:
    config = {"provider": f"{HERE}.Script", "config": {"source": "RESULT = 6 * 7"}}
    with pytest.raises(ComponentNotAllowedError, match="allow_code_execution=True"):
        trusted(config)
    loaded = load_component(config, allow_import_paths=[HERE], allow_code_execution=True)
    assert loaded.result == 42
    assert not is_code_execution_allowed()


def test_code_execution_permission_block() -> None:
    with load_permissions(allow_code_execution=True):
        assert is_code_execution_allowed()
        with load_permissions(allow_import_paths=[HERE]):
            assert is_code_execution_allowed()  # inner blocks only widen
    assert not is_code_execution_allowed()


# --- class definitions ---------------------------------------------------------------------------


def test_incomplete_concrete_component_warns() -> None:
    with pytest.warns(UserWarning, match="component_config_schema, component_type"):

        class Incomplete(Component[CounterConfig]):
            def _to_config(self) -> CounterConfig:
                return CounterConfig(start=0)

            @classmethod
            def _from_config(cls, config: CounterConfig) -> Incomplete:
                return cls()


def test_missing_hooks_warn() -> None:
    with pytest.warns(UserWarning, match=r"_to_config\(\), _from_config\(\)"):

        class Hookless(Component[CounterConfig]):
            component_type = "x"
            component_config_schema = CounterConfig


def test_abstract_and_generic_intermediates_do_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        class AbstractTool(Component[CounterConfig], ABC):
            @abstractmethod
            def run(self) -> None: ...

        assert issubclass(AbstractTool, Component)


@pytest.mark.parametrize(
    ("attribute", "value", "complaint"),
    [
        ("component_config_schema", dict, "must be a pydantic BaseModel subclass"),
        ("component_type", 5, "must be a string"),
        ("component_version", 0, "integer >= 1"),
    ],
)
def test_malformed_declarations_raise(attribute: str, value: object, complaint: str) -> None:
    namespace = {
        "component_type": "x",
        "component_config_schema": CounterConfig,
        "_to_config": Counter._to_config,
        "_from_config": Counter.__dict__["_from_config"],
        attribute: value,
    }
    with pytest.raises(ComponentTypeError, match=complaint):
        type("Malformed", (Component,), namespace)


def test_errors_share_one_root() -> None:
    for error in (
        ComponentConfigError,
        ComponentLoadError,
        ComponentNotAllowedError,
        ComponentTypeError,
    ):
        assert issubclass(error, ComponentError)


# --- trusting the user's own components --------------------------------------------------------

_HOME_WIDGETS = '''
from pydantic import BaseModel
from parlay_core import Component, ComponentLoader, ComponentModel
from homeapp.parts import Part


class WidgetConfig(BaseModel):
    size: int


class Widget(Component[WidgetConfig]):
    component_type = "widget"
    component_config_schema = WidgetConfig

    def __init__(self, size):
        self.size = size

    def _to_config(self):
        return WidgetConfig(size=self.size)

    @classmethod
    def _from_config(cls, config):
        return cls(config.size)


class BoxConfig(BaseModel):
    content: ComponentModel


class Box(Component[BoxConfig]):
    """Loads its content by naming the class, as AutoGen's outer/inner components do."""

    component_type = "box"
    component_config_schema = BoxConfig

    def __init__(self, content):
        self.content = content

    def _to_config(self):
        return BoxConfig(content=self.content.dump_component())

    @classmethod
    def _from_config(cls, config):
        return cls(Part.load_component(config.content))


class Crate(Box):
    """Loads its content through the generic loader, whatever class the config names."""

    @classmethod
    def _from_config(cls, config):
        return cls(ComponentLoader.load_component(config.content))
'''

_HOME_PARTS = """
from pydantic import BaseModel
from parlay_core import Component


class PartConfig(BaseModel):
    name: str


class Part(Component[PartConfig]):
    component_type = "part"
    component_config_schema = PartConfig

    def __init__(self, name):
        self.name = name

    def _to_config(self):
        return PartConfig(name=self.name)

    @classmethod
    def _from_config(cls, config):
        return cls(config.name)
"""


@pytest.fixture
def homeapp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A user's own package, outside Parlay and without plugins; trust starts empty."""
    import parlay_core._component_trust as trust

    monkeypatch.setattr(trust, "_trusted", [])
    monkeypatch.delenv("PARLAY_TRUSTED_COMPONENT_MODULES", raising=False)
    package = tmp_path / "homeapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "widgets.py").write_text(_HOME_WIDGETS)
    (package / "parts.py").write_text(_HOME_PARTS)
    (package / "untouched.py").write_text("IMPORTED = True\n")
    extra = tmp_path / "homeapp_extra"
    extra.mkdir()
    (extra / "__init__.py").write_text("from homeapp.parts import Part as Part\n")
    with on_sys_path(tmp_path, "homeapp", "homeapp_extra"):
        import homeapp.widgets  # type: ignore[import-not-found]  # pyright: ignore

        yield homeapp.widgets


def test_loading_through_the_users_class_trusts_its_module(homeapp: Any) -> None:
    dumped = homeapp.Widget(3).dump_component()
    assert dumped.provider == "homeapp.widgets.Widget"
    assert homeapp.Widget.load_component(dumped).size == 3
    assert load_component(json.loads(dumped.model_dump_json()), homeapp.Widget).size == 3
    with pytest.raises(ComponentNotAllowedError, match="trust_component_modules"):
        load_component(dumped)  # nothing names the class: the config alone is not trusted


def test_own_module_trust_is_exact_and_imports_nothing_new(homeapp: Any) -> None:
    sibling = {"provider": "homeapp.untouched.Thing", "component_type": "widget", "config": {}}
    with pytest.raises(ComponentNotAllowedError):
        homeapp.Widget.load_component(sibling)
    below = {"provider": "homeapp.widgets.untouched.Thing", "config": {}}
    with pytest.raises(ComponentLoadError):
        homeapp.Widget.load_component(below)  # read as attributes of the module, not imported
    assert "homeapp.untouched" not in sys.modules
    assert "homeapp.widgets.untouched" not in sys.modules


def test_nested_component_from_another_user_module(homeapp: Any) -> None:
    parts = sys.modules["homeapp.parts"]
    box = homeapp.Box(parts.Part("bolt"))
    loaded = homeapp.Box.load_component(json.loads(box.dump_component().model_dump_json()))
    assert type(loaded.content) is parts.Part
    assert loaded.content.name == "bolt"
    # Loading through the generic loader names no class, so the other module is not trusted...
    crate = homeapp.Crate(parts.Part("nut")).dump_component()
    with pytest.raises(ComponentNotAllowedError, match=r"homeapp\.parts"):
        homeapp.Crate.load_component(crate)
    # ...but the outer class's own module is, in nested loads too.
    nested = homeapp.Crate(homeapp.Widget(5)).dump_component()
    assert homeapp.Crate.load_component(nested).content.size == 5


def test_trust_component_modules_covers_a_package_and_its_submodules(homeapp: Any) -> None:
    from parlay_core import trust_component_modules

    crate = homeapp.Crate(sys.modules["homeapp.parts"].Part("nut")).dump_component()
    elsewhere = {"provider": "homeapp_extra.Part", "config": {"name": "x"}}
    trust_component_modules("homeapp")
    assert load_component(crate).content.name == "nut"
    with pytest.raises(ComponentNotAllowedError):
        load_component(elsewhere)  # a prefix matches whole names only
    with pytest.raises(ValueError, match="trust_component_modules"):
        trust_component_modules("home app")


def test_trusted_modules_from_the_environment(
    homeapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dumped = homeapp.Widget(8).dump_component()
    monkeypatch.setenv("PARLAY_TRUSTED_COMPONENT_MODULES", " otherpkg , homeapp.widgets,")
    assert load_component(dumped).size == 8
    monkeypatch.setenv("PARLAY_TRUSTED_COMPONENT_MODULES", "homeapp/widgets")
    with pytest.raises(ValueError, match="PARLAY_TRUSTED_COMPONENT_MODULES"):
        load_component(dumped)


# --- AutoGen's exception types -----------------------------------------------------------------


def test_dumping_a_class_defined_in_a_function_is_a_type_error() -> None:
    class Local(Counter):
        pass

    with pytest.raises(TypeError, match="defined inside a function"):
        Local(1).dump_component()


def test_missing_component_type_is_an_attribute_error() -> None:
    from parlay_core.exceptions import ComponentDefinitionError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        class Untyped(Component[CounterConfig]):
            def _to_config(self) -> CounterConfig:
                return CounterConfig(start=1)

    with pytest.raises(AttributeError, match="component_type") as caught:
        Untyped().dump_component()
    assert isinstance(caught.value, ComponentDefinitionError)


def test_unreadable_old_version_is_not_implemented() -> None:
    old = {"provider": f"{HERE}.Meter", "component_version": 1, "config": {"percent": 30}}
    with pytest.raises(NotImplementedError, match="_from_config_past_version"):
        trusted(old)


# --- masked secrets with a fallback ------------------------------------------------------------


class EnvKeyedClient(KeyedClient):
    """Reads its key from the environment when the config has none."""

    component_secret_fallbacks = MappingProxyType(
        {"api_key": "the KEYED_API_KEY environment variable"}
    )


class StrictSecretConfig(BaseModel):
    token: SecretStr


class StrictSecret(Component[StrictSecretConfig]):
    """A required secret cannot be dropped, fallback or not."""

    component_type = "strict"
    component_config_schema = StrictSecretConfig
    component_secret_fallbacks = MappingProxyType({"token": "nowhere"})

    def __init__(self, token: str) -> None:
        self.token = token

    def _to_config(self) -> StrictSecretConfig:
        return StrictSecretConfig(token=SecretStr(self.token))

    @classmethod
    def _from_config(cls, config: StrictSecretConfig) -> StrictSecret:
        return cls(config.token.get_secret_value())


def test_masked_secret_with_a_fallback_loads_as_absent_with_a_warning() -> None:
    dumped = EnvKeyedClient("m", api_key="sk-secret").dump_component()
    with pytest.warns(UserWarning, match=r"masked api_key.*KEYED_API_KEY"):
        loaded = EnvKeyedClient.load_component(json.loads(dumped.model_dump_json()))
    assert loaded.api_key is None
    assert loaded.model == "m"


def test_masked_required_secret_still_refuses() -> None:
    with pytest.raises(ComponentConfigError, match="masked secrets in token"):
        StrictSecret.load_component(StrictSecret("t").dump_component())
