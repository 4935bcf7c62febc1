"""The usage charter every new commune starts with (version 1); the mairie can publish others."""

DEFAULT_CHARTER = """\
Charte d'utilisation de Maillage – {commune}

1. Objet
Maillage relie les commerçants de {commune}, la mairie et la police municipale pour signaler
rapidement un incident de sécurité (vol, agression, comportement menaçant, dégradation) et
prévenir les commerces voisins. Il ne sert à rien d'autre : ni discussion générale, ni
publicité, ni surveillance des personnes.

2. Urgence : appelez le 17
Maillage complète les numéros d'urgence, il ne les remplace jamais. En cas de danger
immédiat ou d'agression en cours, appelez d'abord le 17 (ou le 112), puis signalez dans
l'application si vous le pouvez.

3. Des faits, le strict nécessaire
Décrivez des faits observés, avec les listes proposées (catégorie, signalement, direction de
fuite). N'écrivez sur une personne que ce qui est utile pour l'intervention : pas de nom
supposé, pas d'origine, pas d'opinion, pas de rumeur. Aucun fichier de « suspects » n'est
tenu : les informations sur les personnes n'existent qu'à l'intérieur d'un signalement et
disparaissent avec lui.

4. Photos
Ne photographiez que ce qui aide à l'intervention, sans vous mettre en danger. Les photos
sont chiffrées sur votre téléphone et débarrassées de leurs métadonnées (position GPS).

5. Confidentialité
Les alertes et signalements sont confidentiels : ne les transférez pas, ne les publiez pas
sur les réseaux sociaux, ne les montrez pas à des tiers. Votre accès est personnel ; ne
prêtez pas votre téléphone déverrouillé. Prévenez la mairie sans attendre en cas de perte
ou de vol : elle retirera l'accès de l'appareil.

6. Données personnelles (RGPD)
La commune de {commune} est responsable du traitement. Les données sont conservées pour des
durées limitées (alertes aux voisins 7 jours, contenu des signalements sans plainte 30 jours,
trace pseudonymisée du traitement 3 ans), puis supprimées. Vous pouvez exercer vos droits
d'accès, de rectification, d'effacement et de limitation auprès du délégué à la protection
des données de la mairie, et saisir la CNIL (www.cnil.fr).

7. Manquements
Un usage contraire à cette charte peut conduire la mairie à suspendre ou retirer l'accès.
"""


def default_charter(commune_name: str) -> str:
    return DEFAULT_CHARTER.format(commune=commune_name)
