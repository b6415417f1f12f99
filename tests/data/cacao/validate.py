# Validates CACAO playbooks against the schemas with Python's jsonschema (Draft 7), as an independent
# cross-check of grabbag's embedded validator. Usage: validate.py SCHEMA_DIR PLAYBOOK.json...
import json, sys, pathlib
from referencing import Registry, Resource
from jsonschema import Draft7Validator
schemas = [json.loads(p.read_text()) for p in pathlib.Path(sys.argv[1]).rglob('*.json')]
registry = Registry().with_resources([(s['$id'], Resource.from_contents(s)) for s in schemas])
root = next(s for s in schemas if s['$id'].endswith('/schemas/playbook.json'))
validator = Draft7Validator(root, registry=registry)
bad = 0
for f in sys.argv[2:]:
    for e in validator.iter_errors(json.loads(pathlib.Path(f).read_text())):
        print(f, e.json_path, e.message[:200]); bad += 1
sys.exit(1 if bad else 0)
