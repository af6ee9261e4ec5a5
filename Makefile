# The two commands: `make demo` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
FASHION_MNIST := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
export TF_CPP_MIN_LOG_LEVEL ?= 2
# The project's shared offline data, when it sits beside the checkout.
ifeq ($(origin KERASTOOLKIT_DATA_DIR),undefined)
ifneq ($(wildcard ../shared/data),)
export KERASTOOLKIT_DATA_DIR := $(abspath ../shared/data)
endif
endif
export PYTHONUNBUFFERED := 1

.PHONY: demo test install fashion-mnist lint clean

demo: install
	$(PY) -m applications suite

# Two workers on the 2-core machine; each demo's tests stay in one worker, so
# its quick run is made once (tests/conftest.py). PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= 2
test: install lint
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup --durations=15

lint: $(STAMP)
	$(VENV)/bin/ruff check kerastoolkit applications tests benchmarks
	$(VENV)/bin/ruff format --check kerastoolkit applications tests benchmarks

install: $(STAMP) fashion-mnist

# Re-installs only when the dependency list changes (the package is editable).
$(STAMP): setup.cfg pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[all,test,benchmark]"
	@touch $@

# Fashion-MNIST comes from Debian's dataset-fashion-mnist package when apt works.
fashion-mnist:
	@if [ ! -f $(FASHION_MNIST) ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null) \
	      || echo "warning: could not install dataset-fashion-mnist"; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	    (sudo apt-get update -qq && sudo apt-get install -y -qq dataset-fashion-mnist >/dev/null) \
	      || echo "warning: could not install dataset-fashion-mnist"; \
	  else \
	    echo "note: Fashion-MNIST not found and apt-get unavailable; set KERASTOOLKIT_DATA_DIR (see README)"; \
	  fi; \
	fi

clean:
	rm -rf runs .pytest_cache .ruff_cache build *.egg-info
