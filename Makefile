# Two entry points: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# gettext compiles the catalogues; Pango and the Noto CJK fonts let WeasyPrint print the PDF report.
APT_PACKAGES := gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk
# LibreOffice's Calc and Impress, without their windows, make the .ods and .odp files (reports/odf.py); any
# LibreOffice already installed does (the windowed one conflicts with these: apt would remove it).
OFFICE_PACKAGES := libreoffice-calc-nogui libreoffice-impress-nogui
# The browser tests need Debian's chromium; pdftoppm (poppler-utils) turns the PDF report into PNG pages.
TEST_APT_PACKAGES := chromium poppler-utils
export DATABASE_URL ?= sqlite:///$(CURDIR)/var/stratmap.sqlite3

.PHONY: demo test install system-packages test-packages apt schema

# Install Debian packages, only those missing.
system-packages:
	@$(MAKE) --no-print-directory apt PACKAGES="$(APT_PACKAGES)"
	@command -v soffice >/dev/null 2>&1 || $(MAKE) --no-print-directory apt PACKAGES="$(OFFICE_PACKAGES)"

test-packages:
	@$(MAKE) --no-print-directory apt PACKAGES="$(TEST_APT_PACKAGES)"

apt:
	@missing=$$(for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

$(BIN)/stratmap: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: system-packages $(BIN)/stratmap
	cd stratmap && ../$(BIN)/stratmap compilemessages -v0

demo: install
	mkdir -p var
	$(BIN)/stratmap migrate -v0
	$(BIN)/stratmap load --demo
	$(BIN)/stratmap demoadmin
	@echo "stratmap is at http://127.0.0.1:8000/ (administration: http://127.0.0.1:8000/admin/)"
	@# The production server (docs/deploy.md), with the report worker beside it; Ctrl-C stops both.
	$(BIN)/stratmap worker -v0 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  STRATMAP_BIND=127.0.0.1:8000 $(BIN)/stratmap serve

test: install test-packages
	$(BIN)/ruff check stratmap tests
	$(BIN)/ruff format --check stratmap tests
	@# The layers of ARCHITECTURE.md: contracts in pyproject.toml ([tool.importlinter]).
	$(BIN)/lint-imports
	@# Types (django-stubs), on the modules listed in pyproject.toml ([tool.mypy] files).
	$(BIN)/mypy
	@# One test process per core: the suite is CPU-bound (reports, pages), its tests independent.
	$(BIN)/pytest -n auto

# Regenerate the JSON Schema shipped with the package from stratmap/exchange/schema.py.
schema: $(BIN)/stratmap
	$(BIN)/python -c "import json; from stratmap.exchange.schema import json_schema; \
	open('stratmap/exchange/dataset.schema.json', 'w').write(json.dumps(json_schema(), ensure_ascii=False, indent=2) + '\n')"
