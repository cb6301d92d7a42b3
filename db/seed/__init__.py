"""The bundled seed data: five news articles about January 2023, curated by hand."""

from importlib.resources import files

from db.dataset_schema import DataSet
from db.file_formats import dataset_from_bytes

SEED_FILE = files(__package__).joinpath("seed.yaml")


def load_seed() -> DataSet:
    return dataset_from_bytes(SEED_FILE.read_bytes(), "seed.yaml")
