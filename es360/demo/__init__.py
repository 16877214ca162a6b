"""The demo world: a seeded, messy multi-system customer dataset with its ground truth."""

from es360.demo.generator import DEFAULT_NOW, MessyFile, WorldSummary, generate_world, write_messy_file

__all__ = ["DEFAULT_NOW", "MessyFile", "WorldSummary", "generate_world", "write_messy_file"]
