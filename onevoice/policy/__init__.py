"""Policy as code: packs of clauses and the rules that enforce them."""
from .pack import Clause, PolicyPack, PolicyPackError, Rule, load_pack, pack_path, parse_pack

__all__ = ["Clause", "PolicyPack", "PolicyPackError", "Rule", "load_pack", "pack_path", "parse_pack"]
