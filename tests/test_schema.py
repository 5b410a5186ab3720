import json
from pathlib import Path

import stratmap
from stratmap.exchange.schema import json_schema


def test_the_shipped_json_schema_is_the_one_the_code_defines():
    """Run `make schema` after changing stratmap/exchange/schema.py."""
    shipped = Path(stratmap.__file__).parent / "exchange" / "dataset.schema.json"
    assert json.loads(shipped.read_text(encoding="utf-8")) == json.loads(json.dumps(json_schema()))


def test_the_schema_describes_both_kinds_of_file():
    schema = json_schema()
    assert {"OrganizationsFile", "MapFile"} <= set(schema["$defs"])
    assert schema["$defs"]["KpiIn"]["additionalProperties"] is False
