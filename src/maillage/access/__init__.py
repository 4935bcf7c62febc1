"""Who may do what: the roles and THE access policy, beneath every domain.

Every domain's actions ask the policy, so it sits at the bottom of the layering and
imports no domain package: members are read through their attributes, objects through
their `commune_id` / `shop_id` and their model label (docs/decisions.md, "Layers").
"""
