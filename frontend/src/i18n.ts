/**
 * The app's own catalogue: French first (the default, whatever the browser says), English
 * available; the choice is kept in localStorage. Every user-facing string goes through t().
 * `en` is typed against `fr`, so a missing English sentence does not compile; the Vitest
 * suite also checks placeholders match.
 */

import { useEffect } from "preact/hooks";
import { createStore, useStore } from "./store";

export type Lang = "fr" | "en";
export const LANGS: readonly Lang[] = ["fr", "en"];
export const DEFAULT_LANG: Lang = "fr";
export const LANG_STORAGE_KEY = "maillage.lang";

export const fr = {
  // Shell
  "nav.skip": "Aller au contenu",
  "nav.label": "Navigation principale",
  "nav.home": "Accueil",
  "nav.coordination": "Coordination",
  "nav.demo": "Démo",
  "nav.signin": "Se connecter",
  "nav.logout": "Se déconnecter",
  "lang.switch": "English",
  "lang.switchLabel": "Switch to English",
  "footer.emergency": "Agression en cours ?",
  "footer.call17": "Appelez le 17",
  "footer.complement":
    "Maillage complète les numéros d'urgence, il ne les remplace jamais. Le contenu des signalements est chiffré sur votre appareil.",
  "common.loading": "Chargement…",
  "common.cancel": "Annuler",
  "common.dismiss": "Fermer ce message",
  "common.errorPrefix": "Erreur :",
  "common.copied": "Lien copié dans le presse-papiers.",
  "common.copyFailed": "Copie impossible : sélectionnez le lien et copiez-le à la main.",

  // Session
  "session.ended":
    "Votre session a pris fin. Si la mairie a suspendu ou révoqué votre accès, contactez-la ; sinon, reconnectez-vous.",
  "session.loggedOut": "Vous êtes déconnecté(e).",

  // Demo
  "demo.bannerLabel": "Mode démonstration",
  "demo.bannerTitle": "Mode démonstration.",
  "demo.bannerText":
    "Données fictives. Le serveur détient la clé racine de démonstration : ce ne serait jamais le cas dans une vraie commune.",
  "demo.title": "Se connecter en tant que…",
  "demo.lead":
    "Choisissez un membre de la commune de démonstration. Ce navigateur reçoit de nouvelles clés d'appareil, certifiées par la clé racine de démonstration.",
  "demo.rootWarningTitle": "Attention :",
  "demo.rootWarning":
    "en mode démonstration, le serveur garde la clé racine de la commune et certifie n'importe quel appareil. Dans une vraie commune, cette clé ne quitte jamais la mairie.",
  "demo.none": "Aucun membre de démonstration.",
  "demo.off": "Cette page n'existe qu'en mode démonstration.",
  "demo.signInAs": "Se connecter en tant que {name}",
  "demo.signingIn": "Connexion en tant que {name}…",
  "demo.deviceLabel": "Navigateur de démonstration",

  // Home
  "home.welcomeTitle": "Bienvenue sur Maillage",
  "home.welcomeLead":
    "Le réseau d'alerte des commerçants et de la police municipale : signaler un incident en quelques secondes, prévenir les commerces voisins.",
  "home.signinPasskey": "Se connecter avec une clé d'accès (passkey)",
  "home.invitedTitle": "Vous avez reçu une invitation ?",
  "home.invitedText":
    "Ouvrez le lien ou scannez le QR code remis par la mairie sur l'appareil que vous utiliserez au comptoir. L'inscription prend une minute.",
  "home.demoLink": "Essayer la démonstration",
  "home.pendingTitle": "Inscription en attente",
  "home.pendingText": "Votre inscription est en attente de validation par la mairie.",
  "home.pendingCommune":
    "Un coordinateur de {commune} va vérifier votre appareil. Vous pourrez ensuite utiliser Maillage.",
  "home.refresh": "Vérifier à nouveau",
  "home.suspendedTitle": "Accès suspendu",
  "home.suspendedText":
    "La mairie a suspendu votre accès. Contactez votre coordinateur pour le rétablir.",
  "home.revokedTitle": "Accès révoqué",
  "home.revokedText": "La mairie a révoqué votre accès à Maillage.",
  "home.shopEyebrow": "Votre commerce",
  "home.shopTitle": "Votre commerce",
  "home.sector": "Secteur",
  "home.address": "Adresse",
  "home.commune": "Commune",
  "home.signedInAs": "Connecté(e) en tant que",
  "home.emergencyTitle": "Agression en cours ?",
  "home.emergencyText": "Appelez immédiatement le 17 : Maillage ne remplace pas les secours.",
  "home.call17": "Appeler le 17",
  "home.alertsTitle": "Alertes",
  "home.alertsSoon":
    "Les alertes arrivent dans une prochaine version : vous pourrez signaler un incident à la police municipale et prévenir les commerces de votre secteur.",
  "home.hello": "Bonjour {name}",
  "home.coordinatorTitle": "Espace coordination",
  "home.coordinatorLead":
    "Vous coordonnez Maillage pour {commune} : inscriptions, appareils et membres.",
  "home.openCoordination": "Ouvrir la coordination",
  "home.roleSoon":
    "Vous êtes {role} à {commune}. Votre espace arrive dans une prochaine version.",

  // Devices
  "device.newTitle": "Nouvel appareil",
  "device.pendingTitle": "Appareil en attente",
  "device.pendingText":
    "Cet appareil attend sa certification par la mairie. Vous pourrez l'utiliser dès qu'un coordinateur l'aura approuvé.",
  "device.fingerprintTitle": "Empreinte de cet appareil",
  "device.fingerprintHelp":
    "Le coordinateur voit la même empreinte avant d'approuver : comparez-la de vive voix.",
  "device.fingerprintAria": "Empreinte : {value}",
  "device.registerTitle": "Enregistrer ce navigateur",
  "device.registerText":
    "Votre clé d'accès est reconnue, mais ce navigateur n'a pas encore de clés d'appareil. Il en crée maintenant ; la mairie devra l'approuver.",
  "device.registerButton": "Enregistrer ce navigateur comme nouvel appareil",
  "device.labelField": "Nom de cet appareil",
  "device.labelHint": "Pour le reconnaître dans la liste, par exemple « Téléphone du comptoir ».",
  "device.labelRequired": "Donnez un nom à cet appareil.",
  "device.generating": "Création des clés de cet appareil…",
  "device.sending": "Envoi des clés publiques à la mairie…",
  "device.registered": "Appareil enregistré : il attend l'approbation de la mairie.",
  "device.storageUnavailable":
    "Ce navigateur ne peut pas conserver les clés de l'appareil (stockage désactivé ou navigation privée).",
  "device.storageBlocked": "Fermez les autres onglets de Maillage puis réessayez.",
  "device.kindPhone": "Téléphone",
  "device.kindComputer": "Ordinateur",
  "device.defaultLabel": "{kind} – {browser}",

  // Passkeys
  "passkey.cancelled":
    "La création de la clé d'accès a été annulée. Rien n'est perdu : réessayez quand vous voulez.",
  "passkey.signinCancelled": "Connexion annulée. Réessayez quand vous voulez.",
  "passkey.unsupported":
    "Ce navigateur ne gère pas les clés d'accès (passkeys). Utilisez un navigateur récent (Chrome, Edge, Safari, Firefox) sur un appareil verrouillé par code ou empreinte.",
  "passkey.alreadyRegistered": "Une clé d'accès existe déjà pour ce compte sur cet appareil.",
  "passkey.failed": "La clé d'accès n'a pas pu être utilisée. Réessayez.",

  // Enrolment
  "enrol.title": "Rejoindre Maillage",
  "enrol.badLink": "Ce lien d'invitation est incomplet ou abîmé.",
  "enrol.badLinkHelp":
    "Ouvrez le lien exactement tel que la mairie vous l'a transmis, ou scannez à nouveau le QR code.",
  "enrol.askNewLink": "Demandez un nouveau lien d'invitation à votre mairie.",
  "enrol.alreadyEnrolled":
    "Vous êtes déjà inscrit(e) et connecté(e) sur cet appareil : votre invitation a servi.",
  "enrol.rootMismatch":
    "La clé de la commune annoncée par le serveur ne correspond pas à celle de votre lien. Par sécurité, l'inscription est bloquée : prévenez la mairie.",
  "enrol.invitedBy": "La mairie de {commune} vous invite à rejoindre le réseau.",
  "enrol.name": "Nom",
  "enrol.commune": "Commune",
  "enrol.role": "Rôle",
  "enrol.shop": "Commerce",
  "enrol.charterTitle": "Charte d'utilisation (version {version})",
  "enrol.accept": "J'ai lu la charte d'utilisation et je l'accepte",
  "enrol.mustAccept": "Cochez la case pour accepter la charte avant de continuer.",
  "enrol.passkeyExplain":
    "Votre appareil va créer une clé d'accès (passkey), protégée par son code ou votre empreinte : pas de mot de passe à retenir.",
  "enrol.submit": "Accepter et créer ma clé d'accès",
  "enrol.stepKeys": "Création des clés de chiffrement de cet appareil…",
  "enrol.stepOptions": "Préparation de la clé d'accès…",
  "enrol.stepPasskey": "Confirmez la création de la clé d'accès sur votre appareil…",
  "enrol.stepComplete": "Envoi de votre inscription…",
  "enrol.failed": "L'inscription n'a pas abouti. Réessayez.",
  "enrol.doneTitle": "Inscription enregistrée",
  "enrol.doneText":
    "La mairie va vérifier votre appareil. Vous recevrez l'accès dès qu'un coordinateur l'aura approuvé.",
  "enrol.goHome": "Aller à l'accueil",

  // Sign in
  "signin.title": "Connexion",
  "signin.lead":
    "Connectez-vous avec la clé d'accès créée lors de votre inscription : votre appareil vous demandera son code ou votre empreinte.",
  "signin.button": "Se connecter avec ma clé d'accès",
  "signin.stepOptions": "Préparation de la connexion…",
  "signin.stepPasskey": "Confirmez avec votre clé d'accès…",
  "signin.stepVerify": "Vérification…",
  "signin.noDevice":
    "Vous êtes connecté(e), mais ce navigateur n'est pas encore un appareil enregistré.",
  "signin.already": "Vous êtes connecté(e) en tant que {name}.",
  "signin.noPasskeyTitle": "Pas encore de clé d'accès ?",
  "signin.noPasskeyText":
    "L'inscription se fait uniquement sur invitation de la mairie : demandez un lien à votre coordinateur.",

  // Coordination
  "coord.title": "Coordination",
  "coord.forbidden": "Cette page est réservée aux coordinateurs de la mairie.",
  "coord.trustTitle": "Confiance de cet appareil",
  "coord.trustOk":
    "Votre appareil est certifié : sa chaîne de certificats remonte à la clé racine de la commune.",
  "coord.revocationNumber": "Liste de révocation vérifiée : n° {number}.",
  "coord.ownFingerprint": "Empreinte de votre appareil :",
  "coord.refresh": "Actualiser les listes",
  "coord.refreshed": "Listes à jour.",
  "coord.rootFromServer":
    "Cet appareil n'a pas reçu l'empreinte de la clé racine par un lien d'invitation mais du serveur. Vérifiez qu'elle correspond à celle que conserve la mairie :",
  "coord.inviteTitle": "Inviter une personne",
  "coord.role": "Rôle",
  "coord.shop": "Commerce",
  "coord.chooseShop": "Choisissez un commerce",
  "coord.name": "Nom et prénom",
  "coord.email": "Adresse e-mail (facultatif)",
  "coord.emailHint": "Seulement pour retrouver la personne ; aucun message n'est envoyé.",
  "coord.nameRequired": "Indiquez le nom de la personne invitée.",
  "coord.shopRequired": "Choisissez le commerce de ce commerçant.",
  "coord.emailInvalid": "Cette adresse e-mail n'est pas valide.",
  "coord.inviteSubmit": "Créer le lien d'invitation",
  "coord.inviteReady": "Lien d'invitation prêt",
  "coord.inviteHelp":
    "Faites scanner ce QR code en personne, ou transmettez le lien par un canal sûr. Il ne sert qu'une fois.",
  "coord.qrAlt": "QR code du lien d'invitation",
  "coord.link": "Lien d'invitation",
  "coord.copyLink": "Copier le lien",
  "coord.expires": "expire le {date}",
  "coord.invitationsTitle": "Invitations en cours",
  "coord.noInvitations": "Aucune invitation en cours.",
  "coord.cancelInvitation": "Annuler l'invitation",
  "coord.cancelInvitationFor": "Annuler l'invitation de {name}",
  "coord.invitationCancelled": "Invitation de {name} annulée.",
  "coord.pendingTitle": "Appareils en attente",
  "coord.pendingHelp":
    "Approuver signe le certificat de l'appareil avec la clé de votre appareil. Comparez l'empreinte avec celle affichée chez la personne.",
  "coord.noPending": "Aucun appareil en attente.",
  "coord.deviceFingerprint": "Empreinte :",
  "coord.approve": "Approuver",
  "coord.approveFor": "Approuver l'appareil de {name}",
  "coord.approving": "Signature…",
  "coord.checkingChain": "Vérification de la chaîne de confiance de votre appareil…",
  "coord.signing": "Signature du certificat de {name} sur votre appareil…",
  "coord.approved": "Appareil de {name} approuvé et certifié.",
  "coord.rootOnly":
    "Appareil de coordinateur : seule la clé racine de la mairie peut le certifier (« maillage root certify »).",
  "coord.recertify":
    "À recertifier : approuvé par un appareil de coordinateur révoqué",
  "coord.membersTitle": "Membres",
  "coord.noMembers": "Aucun membre.",
  "coord.deviceCount": "appareils : {count}",
  "coord.you": "(vous)",
  "coord.suspend": "Suspendre",
  "coord.reinstate": "Réactiver",
  "coord.revoke": "Révoquer",
  "coord.suspendFor": "Suspendre {name}",
  "coord.reinstateFor": "Réactiver {name}",
  "coord.revokeFor": "Révoquer {name}",
  "coord.working": "Traitement en cours…",
  "coord.suspended": "{name} est suspendu(e).",
  "coord.reinstated": "{name} est réactivé(e).",
  "coord.revoked": "{name} est révoqué(e).",
  "coord.confirmCancelTitle": "Annuler l'invitation ?",
  "coord.confirmCancelText": "Le lien envoyé à {name} ne fonctionnera plus.",
  "coord.confirmSuspendTitle": "Suspendre ce membre ?",
  "coord.confirmSuspendText":
    "{name} perd l'accès immédiatement et ses appareils sont ajoutés à la liste de révocation signée par votre appareil.",
  "coord.confirmReinstateTitle": "Réactiver ce membre ?",
  "coord.confirmReinstateText": "{name} retrouvera l'accès à Maillage.",
  "coord.confirmRevokeTitle": "Révoquer ce membre ?",
  "coord.confirmRevokeText":
    "{name} perd l'accès définitivement et ses appareils sont révoqués par une liste signée par votre appareil. Cette action est irréversible.",
  "certify.noDevice": "Ce navigateur n'a pas de clés d'appareil : il ne peut rien signer.",
  "certify.noRoot":
    "Aucune empreinte de la clé racine n'est enregistrée sur cet appareil : impossible de vérifier la chaîne de confiance.",
  "certify.notCertified":
    "Votre appareil n'est pas encore certifié par la clé racine de la mairie (commande « maillage root certify »). Vous ne pouvez pas encore approuver d'appareils.",
  "certify.notOurs":
    "Le certificat renvoyé par le serveur ne correspond pas aux clés de cet appareil : approbation bloquée.",
  "certify.notCertifier": "Le certificat de votre appareil ne l'autorise pas à certifier.",
  "certify.draftMismatch":
    "Le serveur demande de retirer des certificats qui ne sont pas ceux de ce membre : rien n'a été signé.",
  "certify.cannotSign":
    "La chaîne de confiance de votre appareil n'a pas pu être vérifiée : rien n'a été signé.",

  // Échecs de vérification de confiance (mêmes phrases que le module trust)
  "trust.root_mismatch":
    "La clé racine présentée ne correspond pas à l'empreinte de la commune enregistrée lors de l'invitation.",
  "trust.wrong_commune": "Ce document de confiance appartient à une autre commune.",
  "trust.expired": "Ce certificat n'est pas encore valide ou a expiré.",
  "trust.bad_signature": "La signature de ce document est invalide.",
  "trust.broken_chain": "La chaîne de certificats ne remonte pas à la clé racine de la commune.",
  "trust.not_a_certifier": "L'émetteur de ce document n'est pas autorisé à certifier des appareils.",
  "trust.revoked": "Cet appareil a été révoqué ou suspendu.",
  "trust.stale_revocations":
    "La liste de révocation reçue est plus ancienne que la dernière liste vérifiée.",
  "trust.malformed": "Document de confiance mal formé.",
  "trust.not_canonical": "Le document signé n'est pas en JSON canonique.",

  // Roles and statuses
  "role.commercant": "Commerçant",
  "role.coordinateur": "Coordinateur",
  "role.operateur": "Opérateur",
  "role.agent": "Agent",
  "role.referent": "Référent",
  "role.observateur": "Observateur",
  "role.dpo": "DPO",
  "status.pending": "En attente",
  "status.active": "Actif",
  "status.suspended": "Suspendu",
  "status.revoked": "Révoqué",

  // Errors (fallbacks when the server gave no message; English versions of known codes)
  "error.generic": "Une erreur est survenue. Réessayez.",
  "error.network": "Le serveur est injoignable. Vérifiez votre connexion puis réessayez.",
  "error.server_error": "Le serveur a rencontré un problème. Réessayez dans un instant.",
  "error.bad_response": "Réponse du serveur illisible. Réessayez.",
  "error.bad_request": "Requête refusée.",
  "error.unauthenticated": "Connectez-vous pour continuer.",
  "error.forbidden": "Action non autorisée pour votre rôle.",
  "error.not_found": "Ressource introuvable.",
  "error.method_not_allowed": "Action impossible.",
  "error.conflict": "Conflit : l'état a changé entre-temps. Rechargez la page.",
  "error.gone": "Cette ressource n'existe plus.",
  "error.invalid": "Données invalides : vérifiez le champ signalé.",
  "error.rate_limited": "Trop de tentatives. Patientez un instant.",
  "error.csrf_failed": "Jeton de sécurité absent ou invalide : rechargez la page puis réessayez.",
  "error.access_revoked": "Votre accès a été suspendu ou révoqué par la mairie.",
  "error.pending_approval":
    "Votre inscription attend la validation de la mairie ; cette action sera possible ensuite.",
  "error.device_not_certified":
    "Cet appareil n'est pas encore validé par la mairie ; demandez à votre coordinateur de l'approuver.",
  "error.device_already_registered": "Ce navigateur est déjà enregistré comme appareil.",
  "error.invitation_invalid":
    "Ce lien d'invitation n'est pas valable. Demandez-en un nouveau à la mairie.",
  "error.invitation_used":
    "Cette invitation a déjà servi : chaque lien ne s'utilise qu'une fois. Connectez-vous avec votre clé d'accès, ou demandez un nouveau lien.",
  "error.invitation_expired":
    "Cette invitation a expiré (validité 72 heures). Demandez-en une nouvelle à la mairie.",
  "error.charter_outdated": "La charte a changé entre-temps : relisez-la puis acceptez-la à nouveau.",
  "error.passkey_in_use": "Cette clé d'accès est déjà enregistrée.",
  "error.certificate_mismatch": "Le certificat ne correspond pas à l'appareil en attente.",
  "error.certificate_time":
    "L'heure de votre appareil est éloignée de celle du serveur : vérifiez l'horloge.",
  "error.revocation_number":
    "Une autre liste de révocation a été publiée entre-temps : recommencez.",
  "error.revocation_mismatch": "La liste signée ne correspond pas aux certificats à retirer.",

  // Reports and the police console (sealed envelopes)
  "home.reportLink": "Signaler un incident",
  "home.operatorTitle": "Police municipale",
  "home.operatorLead":
    "Les signalements des commerçants de {commune} arrivent chiffrés : seuls les appareils de la police peuvent les lire.",
  "home.openConsole": "Ouvrir la console police",
  "report.title": "Signaler un incident",
  "report.urgent": "Urgence : en cas d'agression en cours, appelez le 17",
  "report.call17": "Appeler le 17",
  "report.forbidden": "Cette page est réservée aux commerçants inscrits.",
  "report.lead":
    "Votre signalement est chiffré sur cet appareil : seuls la police municipale et les appareils de votre commerce pourront le lire.",
  "report.textLabel": "Ce qui se passe (facultatif)",
  "report.textHint": "Les faits, sans jugement : 4 000 caractères au plus.",
  "report.textCount": "{count} caractères sur {max}",
  "report.photosLabel": "Ajouter une photo",
  "report.photosHint":
    "Jusqu'à 4 photos. Position GPS et informations de l'appareil sont retirées avant le chiffrement.",
  "report.photoItem": "Photo {n} : {name}",
  "report.removePhoto": "Retirer la photo {n}",
  "report.send": "Envoyer le signalement",
  "report.retry": "Réessayer l'envoi",
  "report.stepChecking": "Vérification de cet appareil…",
  "report.stepRecipients": "Vérification des destinataires…",
  "report.stepPhotos": "Préparation des photos…",
  "report.stepSealing": "Chiffrement sur cet appareil…",
  "report.stepSending": "Envoi du signalement…",
  "report.sent": "Signalement envoyé à {time}.",
  "report.sentDetail": "Chiffré pour {count} destinataires vérifiés.",
  "report.refusedTitle": "Attention : {count} appareil(s) refusé(s)",
  "report.refusedText":
    "Ces appareils n'ont pas passé les vérifications de sécurité et ne recevront pas ce signalement ; les autres destinataires l'ont reçu.",
  "report.refusedItem": "Appareil {device} : {reason}",
  "report.refusedService": "Clé de service de la police : {reason}",
  "report.callNow": "Le signalement n'est pas parti. Appelez le 17.",
  "report.notSentRetry": "Le signalement est chiffré mais n'est pas encore parti : réessayez.",
  "report.newReport": "Faire un autre signalement",
  "report.textTooLong": "Le texte dépasse {max} caractères : raccourcissez-le.",
  "report.tooManyPhotos": "{max} photos au plus par signalement.",
  "console.title": "Console police",
  "console.forbidden": "Cette page est réservée aux opérateurs de la police municipale.",
  "console.keyTitle": "Clé de service de la police",
  "console.keyChecking": "Vérification de la clé de service…",
  "console.keyCreated": "Clé de service créée sur cet appareil (génération {number}).",
  "console.keyHeld": "Cet appareil détient la clé de service (génération {number}).",
  "console.keyWaiting":
    "Cet appareil attend la clé de service (génération {number}) : un autre appareil d'opérateur doit la lui transmettre en ouvrant la console.",
  "console.keyGranted": "Clé transmise à {count} nouvel(s) appareil(s) d'opérateur.",
  "console.keyRefused": "{count} appareil(s) en attente refusé(s) : chaîne de certificats invalide.",
  "console.keyHistory": "Générations précédentes détenues (historique lisible) : {numbers}.",
  "console.keyHistoryRefused":
    "Générations précédentes refusées (historique illisible sur cet appareil) : {numbers}.",
  "console.notOperator": "Cet appareil n'est pas certifié pour un opérateur de police.",
  "console.incidentsTitle": "Signalements",
  "console.noIncidents": "Aucun signalement pour l'instant.",
  "console.refresh": "Actualiser",
  "console.refreshed": "Liste à jour : {count} signalement(s).",
  "console.incidentLine": "{shop} – {date}",
  "console.messagesCount": "messages : {count}",
  "console.open": "Ouvrir le signalement de {shop}",
  "console.opening": "Déchiffrement sur cet appareil…",
  "console.opened": "Signalement de {shop} : {count} message(s).",
  "console.close": "Fermer le signalement",
  "console.incidentTitle": "Signalement de {shop}",
  "console.sentAt": "Envoyé le {date}",
  "console.sender": "Par un appareil {role}",
  "console.viaService": "Ouvert avec la clé de service de la police.",
  "console.noText": "(pas de texte)",
  "console.photoAlt": "Photo {n} du signalement",
  "console.messageError": "Ce message ne peut pas être affiché.",
  "console.notFound": "Ce signalement est introuvable ou n'est pas visible depuis ce compte.",
  "console.tabTitle": "Maillage — console",
  "console.newReport": "Nouveau signalement : {shop}.",
  "console.newReports": "{count} nouveaux signalements.",
  "console.newMessage": "Nouveau message dans le signalement de {shop}.",
  "console.newMessageOpen": "Nouveau message dans ce signalement.",
  "console.unread": "Non lu",
  "console.newBadge": "Nouveau",
  "console.unreadSummary": "Non lus : {count}",
  "console.mute": "Couper le son des alertes",
  "console.muted": "Son des alertes coupé.",
  "console.unmuted": "Son des alertes activé.",
  "console.replyTitle": "Répondre au commerçant",
  "console.replyLabel": "Votre message",
  "console.replyHint":
    "Chiffré sur cet appareil pour le commerce qui a signalé et pour la police ; le serveur ne le lit pas.",
  "console.replySend": "Envoyer la réponse",
  "console.replySending": "Chiffrement et envoi…",
  "console.replySent": "Réponse envoyée au commerçant.",
  "console.replyEmpty": "Écrivez un message avant d'envoyer.",
  "live.lost": "Connexion perdue — reconnexion…",
  "live.back": "Connexion rétablie.",
  "console.mapTitle": "Carte des commerces",
  "console.mapLabel": "Carte : secteurs, commerces, et en rouge les commerces ayant un signalement ouvert",
  "console.mapShopAlert": "{shop} — signalements ouverts : {count}",
  "console.mapSummary": "Commerces sur la carte : {shops} ; avec un signalement ouvert : {alerts}.",
  "console.mapPlain": "Pas de fond de carte configuré : secteurs et commerces sur fond uni.",
  "console.mapTilesFailed": "Fond de carte injoignable : secteurs et commerces sur fond uni.",
  "console.mapError": "La carte n'a pas pu être chargée ; la liste des signalements reste à jour.",
  "coord.newPending": "Un nouvel appareil attend une approbation.",
  "home.reportsTitle": "Mes signalements",
  "home.noReports": "Aucun signalement envoyé depuis ce commerce.",
  "home.reportLine": "Signalement du {date}",
  "home.reportStatus": "Reçu par le serveur et transmis à la police.",
  "home.reportMessages": "messages : {count}",
  "home.newReply": "Nouvelle réponse",
  "home.showThread": "Voir les échanges du signalement du {date}",
  "home.hideThread": "Masquer les échanges",
  "home.fromPolice": "Police municipale",
  "home.fromShop": "Votre commerce",
  "home.replyArrived": "Nouvelle réponse de la police à votre signalement.",
  "incident.error.no_device":
    "Ce navigateur n'a pas de clés d'appareil : connectez-vous depuis votre appareil enregistré.",
  "incident.error.not_certified":
    "Cet appareil n'est pas encore certifié par la mairie : il ne peut ni envoyer ni lire de signalement.",
  "incident.error.not_a_recipient": "Ce message n'a pas été chiffré pour cet appareil.",
  "incident.error.own_device_untrusted":
    "La validation de cet appareil a été retirée : la police ne pourrait pas lire ce signalement. Demandez à la mairie de valider à nouveau cet appareil.",
  "incident.error.unsupported_version": "Version d'enveloppe inconnue : mettez l'application à jour.",
  "incident.error.wrong_context": "Cette enveloppe appartient à un autre signalement ou message.",
  "incident.error.wrong_sender": "L'expéditeur annoncé ne correspond pas au certificat joint.",
  "incident.error.tampered": "Le contenu chiffré a été modifié ou est incomplet.",
  "incident.error.undecryptable": "Impossible de déchiffrer ce message avec la clé de cet appareil.",
  "incident.error.too_large": "Contenu chiffré trop volumineux.",
  "incident.error.stale_service_key":
    "La clé de service reçue est plus ancienne que la dernière vérifiée.",
  "incident.error.wrong_service_key":
    "La clé de service transmise ne correspond pas à la clé publiée.",
  "incident.error.not_allowed_recipient":
    "Cet appareil n'a pas le rôle requis pour recevoir ce contenu.",
  "incident.error.no_police_recipient":
    "Aucun destinataire de la police n'a pu être vérifié : appelez le 17.",
  "incident.error.unsupported_photo": "Format de photo non pris en charge (JPEG, PNG ou WebP).",
  "incident.error.photo_too_large": "Photo trop volumineuse (25 Mo au plus).",
  "incident.error.unreadable_photo": "Photo illisible ou incomplète.",

  // Not found
  "notFound.title": "Page introuvable",
  "notFound.text": "Cette adresse ne correspond à aucune page de Maillage.",
  // Broadcasts: « message à tous les commerces » (broadcasts/, pages/broadcasts.tsx)
  "broadcast.panelTitle": "Message à tous les commerces",
  "broadcast.panelLead":
    "Chiffré une seule fois sur cet appareil pour tous les appareils des commerces de la commune : le serveur ne peut pas le lire.",
  "broadcast.keyChecking": "Vérification de la clé de diffusion…",
  "broadcast.keyNone": "En attente de la clé de diffusion.",
  "broadcast.keyWaiting": "En attente de la clé de diffusion.",
  "broadcast.keyWaitingOperator":
    "Cet appareil attend la clé de diffusion (génération {number}) : un autre appareil d'opérateur doit la lui transmettre en ouvrant la console.",
  "broadcast.keyCreated": "Clé de diffusion créée sur cet appareil (génération {number}).",
  "broadcast.keyHeld": "Cet appareil détient la clé de diffusion (génération {number}).",
  "broadcast.keyGranted": "Clé de diffusion transmise à {count} appareil(s).",
  "broadcast.keyRefusedDevices":
    "{count} appareil(s) en attente refusé(s) : chaîne de certificats invalide.",
  "broadcast.keyRefused": "Clé de diffusion refusée par cet appareil : {reason}",
  "broadcast.holders": "Appareils de commerçants détenant la clé : {count}.",
  "broadcast.noKey": "Cet appareil n'a pas encore de clé de diffusion vérifiée.",
  "broadcast.noGrant": "Cet appareil n'a pas reçu la clé de diffusion de ce message.",
  "broadcast.textLabel": "Message à envoyer à tous les commerces",
  "broadcast.textHint": "Court et factuel : {max} caractères au plus.",
  "broadcast.send": "Envoyer à tous les commerces",
  "broadcast.sending": "Chiffrement et envoi…",
  "broadcast.sent": "Message envoyé à tous les commerces.",
  "broadcast.empty": "Écrivez un message avant d'envoyer.",
  "broadcast.sendFailed": "Le message n'a pas été envoyé. {reason}",
  "broadcast.sentTitle": "Messages envoyés",
  "broadcast.noneSent": "Aucun message envoyé pour l'instant.",
  "broadcast.toAll": "À tous les commerces",
  "broadcast.homeTitle": "Messages de la police municipale",
  "broadcast.fromPolice": "Message de la police municipale",
  "broadcast.noneReceived": "Aucun message de la police pour l'instant.",
  "broadcast.arrived": "Nouveau message de la police municipale.",
  "broadcast.newBadge": "Nouveau",
  "broadcast.markRead": "Marquer comme lus",
  "broadcast.sentAt": "Envoyé le {date}",
  "broadcast.photoAlt": "Photo {n} du message",
  "broadcast.unreadable": "Ce message ne peut pas être affiché.",
  // --- Neighbour alerts (issue 9, item 4: h-neigh) ---
  "neighbours.homeTitle": "Alertes des commerces voisins",
  "neighbours.consoleTitle": "Alertes aux commerces voisins",
  "neighbours.consoleLead":
    "Les alertes des commerçants attendent votre validation avant de partir vers leur secteur. Chaque alerte est chiffrée une seule fois avec la clé du secteur.",
  "neighbours.pendingTitle": "En attente de validation",
  "neighbours.activeTitle": "Alertes en cours",
  "neighbours.nonePending": "Aucune alerte en attente de validation.",
  "neighbours.noneActive": "Aucune alerte en cours.",
  "neighbours.statusPending": "En attente de validation",
  "neighbours.statusActive": "Alerte en cours",
  "neighbours.statusEnded": "Fin d'alerte",
  "neighbours.from": "De : {from}",
  "neighbours.sector": "Secteur : {sector}",
  "neighbours.sentAt": "Envoyée à {time}",
  "neighbours.expiresAt": "Fin prévue à {time}",
  "neighbours.endedByPolice": "Fin d'alerte donnée par la police municipale.",
  "neighbours.endedExpired": "Fin d'alerte automatique : le délai est écoulé.",
  "neighbours.validate": "Valider",
  "neighbours.refuse": "Refuser",
  "neighbours.validateLabel": "Valider l'alerte de {from}",
  "neighbours.refuseLabel": "Refuser et supprimer l'alerte de {from}",
  "neighbours.end": "Fin d'alerte",
  "neighbours.endLabel": "Fin d'alerte pour {from}",
  "neighbours.endMessageLabel": "Message de fin d'alerte (facultatif)",
  "neighbours.dismiss": "Compris",
  "neighbours.writeTitle": "Alerter un secteur",
  "neighbours.sectorLabel": "Secteur",
  "neighbours.textLabel": "Message d'alerte",
  "neighbours.textHint": "Court et factuel : il part chiffré aux commerces du secteur.",
  "neighbours.send": "Alerter le secteur",
  "neighbours.sending": "Envoi…",
  "neighbours.sent": "Alerte envoyée aux commerces du secteur.",
  "neighbours.empty": "Écrivez le message d'alerte.",
  "neighbours.noSector": "Votre commerce n'a pas de secteur : l'alerte ne peut pas partir.",
  "neighbours.noKey":
    "La clé du secteur n'est pas encore disponible sur cet appareil : la console d'un opérateur la transmet.",
  "neighbours.keysHeld": "Clés de secteur détenues : {count}.",
  "neighbours.unreadable": "Cette alerte ne peut pas être affichée.",
  "neighbours.arrivedNotice": "Nouvelle alerte d'un commerce voisin : {from}.",
  "neighbours.pendingNotice": "Une alerte de commerçant attend votre validation.",
  "neighbours.validatedNotice": "Alerte validée : elle part aux commerces du secteur.",
  "neighbours.refusedDone": "Alerte refusée et supprimée.",
  "neighbours.refusedNotice": "Votre alerte aux commerces voisins a été refusée par la police municipale.",
  "neighbours.endedNotice": "Fin d'alerte.",
  "neighbours.endedExpiredNotice": "Fin d'alerte (délai écoulé).",
  "neighbours.endedDone": "Fin d'alerte envoyée.",
  "neighbours.policeLabel": "Police municipale",
  "neighbours.incidentLink": "Voir le signalement de {from}",
  "neighbours.warnTitle": "Prévenir les commerces voisins",
  "neighbours.warnHint":
    "Court et factuel, sans nom ni description de personne : chiffré, il part aux commerces de votre secteur, après validation par la police municipale si la commune l'a prévu.",
  "neighbours.warnSend": "Prévenir les voisins",
  "neighbours.warnSent": "Alerte envoyée : elle attend la validation de la police municipale.",
  "neighbours.warnSentOut": "Alerte envoyée aux commerces de votre secteur.",
} as const satisfies Record<string, string>;

export type MessageKey = keyof typeof fr;

export const en: Record<MessageKey, string> = {
  "nav.skip": "Skip to content",
  "nav.label": "Main navigation",
  "nav.home": "Home",
  "nav.coordination": "Coordination",
  "nav.demo": "Demo",
  "nav.signin": "Sign in",
  "nav.logout": "Sign out",
  "lang.switch": "Français",
  "lang.switchLabel": "Passer en français",
  "footer.emergency": "Assault in progress?",
  "footer.call17": "Call 17",
  "footer.complement":
    "Maillage complements emergency numbers, it never replaces them. Report content is encrypted on your device.",
  "common.loading": "Loading…",
  "common.cancel": "Cancel",
  "common.dismiss": "Dismiss this message",
  "common.errorPrefix": "Error:",
  "common.copied": "Link copied to the clipboard.",
  "common.copyFailed": "Could not copy: select the link and copy it by hand.",

  "session.ended":
    "Your session has ended. If the town hall suspended or revoked your access, contact them; otherwise sign in again.",
  "session.loggedOut": "You are signed out.",

  "demo.bannerLabel": "Demo mode",
  "demo.bannerTitle": "Demo mode.",
  "demo.bannerText":
    "Fictitious data. The server holds the demo root key: that would never be the case in a real town.",
  "demo.title": "Sign in as…",
  "demo.lead":
    "Pick a member of the demo town. This browser gets new device keys, certified by the demo root key.",
  "demo.rootWarningTitle": "Warning:",
  "demo.rootWarning":
    "in demo mode the server keeps the town's root key and certifies any device. In a real town, this key never leaves the town hall.",
  "demo.none": "No demo members.",
  "demo.off": "This page only exists in demo mode.",
  "demo.signInAs": "Sign in as {name}",
  "demo.signingIn": "Signing in as {name}…",
  "demo.deviceLabel": "Demo browser",

  "home.welcomeTitle": "Welcome to Maillage",
  "home.welcomeLead":
    "The alert network of shopkeepers and the municipal police: report an incident in seconds, warn neighbouring shops.",
  "home.signinPasskey": "Sign in with a passkey",
  "home.invitedTitle": "Received an invitation?",
  "home.invitedText":
    "Open the link or scan the QR code the town hall gave you on the device you will use at the counter. Enrolment takes a minute.",
  "home.demoLink": "Try the demo",
  "home.pendingTitle": "Enrolment pending",
  "home.pendingText": "Your enrolment is waiting for the town hall's approval.",
  "home.pendingCommune":
    "A coordinator of {commune} will check your device. You can then use Maillage.",
  "home.refresh": "Check again",
  "home.suspendedTitle": "Access suspended",
  "home.suspendedText":
    "The town hall suspended your access. Contact your coordinator to restore it.",
  "home.revokedTitle": "Access revoked",
  "home.revokedText": "The town hall revoked your access to Maillage.",
  "home.shopEyebrow": "Your shop",
  "home.shopTitle": "Your shop",
  "home.sector": "Sector",
  "home.address": "Address",
  "home.commune": "Town",
  "home.signedInAs": "Signed in as",
  "home.emergencyTitle": "Assault in progress?",
  "home.emergencyText": "Call 17 at once: Maillage does not replace emergency services.",
  "home.call17": "Call 17",
  "home.alertsTitle": "Alerts",
  "home.alertsSoon":
    "Alerts arrive in a later version: you will be able to report an incident to the municipal police and warn the shops of your sector.",
  "home.hello": "Hello {name}",
  "home.coordinatorTitle": "Coordination area",
  "home.coordinatorLead":
    "You coordinate Maillage for {commune}: enrolments, devices and members.",
  "home.openCoordination": "Open coordination",
  "home.roleSoon": "You are {role} in {commune}. Your area arrives in a later version.",

  "device.newTitle": "New device",
  "device.pendingTitle": "Device pending",
  "device.pendingText":
    "This device is waiting for the town hall's certification. You can use it as soon as a coordinator approves it.",
  "device.fingerprintTitle": "This device's fingerprint",
  "device.fingerprintHelp":
    "The coordinator sees the same fingerprint before approving: compare it out loud.",
  "device.fingerprintAria": "Fingerprint: {value}",
  "device.registerTitle": "Register this browser",
  "device.registerText":
    "Your passkey is recognised, but this browser has no device keys yet. It creates them now; the town hall will have to approve it.",
  "device.registerButton": "Register this browser as a new device",
  "device.labelField": "Name of this device",
  "device.labelHint": "To recognise it in the list, e.g. “Counter phone”.",
  "device.labelRequired": "Give this device a name.",
  "device.generating": "Creating this device's keys…",
  "device.sending": "Sending the public keys to the town hall…",
  "device.registered": "Device registered: waiting for the town hall's approval.",
  "device.storageUnavailable":
    "This browser cannot keep the device keys (storage disabled or private browsing).",
  "device.storageBlocked": "Close the other Maillage tabs and try again.",
  "device.kindPhone": "Phone",
  "device.kindComputer": "Computer",
  "device.defaultLabel": "{kind} – {browser}",

  "passkey.cancelled":
    "Passkey creation was cancelled. Nothing is lost: try again whenever you like.",
  "passkey.signinCancelled": "Sign-in cancelled. Try again whenever you like.",
  "passkey.unsupported":
    "This browser does not support passkeys. Use a recent browser (Chrome, Edge, Safari, Firefox) on a device locked by a code or fingerprint.",
  "passkey.alreadyRegistered": "A passkey already exists for this account on this device.",
  "passkey.failed": "The passkey could not be used. Try again.",

  "enrol.title": "Join Maillage",
  "enrol.badLink": "This invitation link is incomplete or damaged.",
  "enrol.badLinkHelp":
    "Open the link exactly as the town hall sent it, or scan the QR code again.",
  "enrol.askNewLink": "Ask your town hall for a new invitation link.",
  "enrol.alreadyEnrolled":
    "You are already enrolled and signed in on this device: your invitation has been used.",
  "enrol.rootMismatch":
    "The town key announced by the server does not match the one in your link. For safety, enrolment is blocked: tell the town hall.",
  "enrol.invitedBy": "The town hall of {commune} invites you to join the network.",
  "enrol.name": "Name",
  "enrol.commune": "Town",
  "enrol.role": "Role",
  "enrol.shop": "Shop",
  "enrol.charterTitle": "Usage charter (version {version})",
  "enrol.accept": "I have read the usage charter and I accept it",
  "enrol.mustAccept": "Tick the box to accept the charter before continuing.",
  "enrol.passkeyExplain":
    "Your device will create a passkey, protected by its code or your fingerprint: no password to remember.",
  "enrol.submit": "Accept and create my passkey",
  "enrol.stepKeys": "Creating this device's encryption keys…",
  "enrol.stepOptions": "Preparing the passkey…",
  "enrol.stepPasskey": "Confirm the passkey creation on your device…",
  "enrol.stepComplete": "Sending your enrolment…",
  "enrol.failed": "Enrolment did not complete. Try again.",
  "enrol.doneTitle": "Enrolment recorded",
  "enrol.doneText":
    "The town hall will check your device. You get access as soon as a coordinator approves it.",
  "enrol.goHome": "Go to the home page",

  "signin.title": "Sign in",
  "signin.lead":
    "Sign in with the passkey created at enrolment: your device will ask for its code or your fingerprint.",
  "signin.button": "Sign in with my passkey",
  "signin.stepOptions": "Preparing sign-in…",
  "signin.stepPasskey": "Confirm with your passkey…",
  "signin.stepVerify": "Checking…",
  "signin.noDevice": "You are signed in, but this browser is not a registered device yet.",
  "signin.already": "You are signed in as {name}.",
  "signin.noPasskeyTitle": "No passkey yet?",
  "signin.noPasskeyText":
    "Enrolment is by town hall invitation only: ask your coordinator for a link.",

  "coord.title": "Coordination",
  "coord.forbidden": "This page is for town hall coordinators only.",
  "coord.trustTitle": "Trust of this device",
  "coord.trustOk": "Your device is certified: its certificate chain leads to the town's root key.",
  "coord.revocationNumber": "Verified revocation list: no. {number}.",
  "coord.ownFingerprint": "Your device's fingerprint:",
  "coord.refresh": "Refresh the lists",
  "coord.refreshed": "Lists up to date.",
  "coord.rootFromServer":
    "This device got the root key fingerprint from the server, not from an invitation link. Check it matches the one the town hall keeps:",
  "coord.inviteTitle": "Invite someone",
  "coord.role": "Role",
  "coord.shop": "Shop",
  "coord.chooseShop": "Choose a shop",
  "coord.name": "Full name",
  "coord.email": "Email address (optional)",
  "coord.emailHint": "Only to find the person again; no message is sent.",
  "coord.nameRequired": "Enter the invited person's name.",
  "coord.shopRequired": "Choose this shopkeeper's shop.",
  "coord.emailInvalid": "This email address is not valid.",
  "coord.inviteSubmit": "Create the invitation link",
  "coord.inviteReady": "Invitation link ready",
  "coord.inviteHelp":
    "Have this QR code scanned in person, or pass the link on through a safe channel. It works once.",
  "coord.qrAlt": "QR code of the invitation link",
  "coord.link": "Invitation link",
  "coord.copyLink": "Copy the link",
  "coord.expires": "expires on {date}",
  "coord.invitationsTitle": "Open invitations",
  "coord.noInvitations": "No open invitations.",
  "coord.cancelInvitation": "Cancel the invitation",
  "coord.cancelInvitationFor": "Cancel {name}'s invitation",
  "coord.invitationCancelled": "{name}'s invitation cancelled.",
  "coord.pendingTitle": "Pending devices",
  "coord.pendingHelp":
    "Approving signs the device's certificate with your device's key. Compare the fingerprint with the one shown to the person.",
  "coord.noPending": "No pending devices.",
  "coord.deviceFingerprint": "Fingerprint:",
  "coord.approve": "Approve",
  "coord.approveFor": "Approve {name}'s device",
  "coord.approving": "Signing…",
  "coord.checkingChain": "Checking your device's chain of trust…",
  "coord.signing": "Signing {name}'s certificate on your device…",
  "coord.approved": "{name}'s device approved and certified.",
  "coord.rootOnly":
    "Coordinator device: only the town hall's root key can certify it (“maillage root certify”).",
  "coord.recertify": "To re-certify: approved by a revoked coordinator device",
  "coord.membersTitle": "Members",
  "coord.noMembers": "No members.",
  "coord.deviceCount": "devices: {count}",
  "coord.you": "(you)",
  "coord.suspend": "Suspend",
  "coord.reinstate": "Reinstate",
  "coord.revoke": "Revoke",
  "coord.suspendFor": "Suspend {name}",
  "coord.reinstateFor": "Reinstate {name}",
  "coord.revokeFor": "Revoke {name}",
  "coord.working": "Working…",
  "coord.suspended": "{name} is suspended.",
  "coord.reinstated": "{name} is reinstated.",
  "coord.revoked": "{name} is revoked.",
  "coord.confirmCancelTitle": "Cancel the invitation?",
  "coord.confirmCancelText": "The link sent to {name} will stop working.",
  "coord.confirmSuspendTitle": "Suspend this member?",
  "coord.confirmSuspendText":
    "{name} loses access at once and their devices are added to the revocation list signed by your device.",
  "coord.confirmReinstateTitle": "Reinstate this member?",
  "coord.confirmReinstateText": "{name} will get access to Maillage again.",
  "coord.confirmRevokeTitle": "Revoke this member?",
  "coord.confirmRevokeText":
    "{name} loses access for good and their devices are revoked by a list signed by your device. This cannot be undone.",
  "certify.noDevice": "This browser has no device keys: it cannot sign anything.",
  "certify.noRoot":
    "No root key fingerprint is stored on this device: the chain of trust cannot be checked.",
  "certify.notCertified":
    "Your device is not certified by the town hall's root key yet (command “maillage root certify”). You cannot approve devices yet.",
  "certify.notOurs":
    "The certificate the server returned does not match this device's keys: approval blocked.",
  "certify.notCertifier": "Your device's certificate does not allow it to certify.",
  "certify.draftMismatch":
    "The server asks to withdraw certificates that are not this member's: nothing was signed.",
  "certify.cannotSign": "Your device's chain of trust could not be checked: nothing was signed.",

  // Trust check failures (French comes from the trust module itself)
  "trust.root_mismatch":
    "The root key presented does not match the town fingerprint recorded from the invitation.",
  "trust.wrong_commune": "This trust document belongs to another town.",
  "trust.expired": "This certificate is not valid yet or has expired.",
  "trust.bad_signature": "The signature of this document is invalid.",
  "trust.broken_chain": "The certificate chain does not lead to the town's root key.",
  "trust.not_a_certifier": "The issuer of this document may not certify devices.",
  "trust.revoked": "This device has been revoked or suspended.",
  "trust.stale_revocations": "The revocation list received is older than the last one verified.",
  "trust.malformed": "Malformed trust document.",
  "trust.not_canonical": "The signed document is not canonical JSON.",

  "role.commercant": "Shopkeeper",
  "role.coordinateur": "Coordinator",
  "role.operateur": "Operator",
  "role.agent": "Officer",
  "role.referent": "Association contact",
  "role.observateur": "Observer",
  "role.dpo": "DPO",
  "status.pending": "Pending",
  "status.active": "Active",
  "status.suspended": "Suspended",
  "status.revoked": "Revoked",

  "error.generic": "Something went wrong. Try again.",
  "error.network": "The server cannot be reached. Check your connection and try again.",
  "error.server_error": "The server had a problem. Try again in a moment.",
  "error.bad_response": "Unreadable server response. Try again.",
  "error.bad_request": "Request refused.",
  "error.unauthenticated": "Sign in to continue.",
  "error.forbidden": "Action not allowed for your role.",
  "error.not_found": "Not found.",
  "error.method_not_allowed": "Action not possible.",
  "error.conflict": "Conflict: things changed in the meantime. Reload the page.",
  "error.gone": "This no longer exists.",
  "error.invalid": "Invalid data: check the highlighted field.",
  "error.rate_limited": "Too many attempts. Wait a moment.",
  "error.csrf_failed": "Security token missing or invalid: reload the page and try again.",
  "error.access_revoked": "Your access has been suspended or revoked by the town hall.",
  "error.pending_approval":
    "Your enrolment is waiting for the town hall's approval; this will be possible afterwards.",
  "error.device_not_certified":
    "This device is not approved by the town hall yet; ask your coordinator to approve it.",
  "error.device_already_registered": "This browser is already registered as a device.",
  "error.invitation_invalid": "This invitation link is not valid. Ask the town hall for a new one.",
  "error.invitation_used":
    "This invitation has already been used: each link works once. Sign in with your passkey, or ask for a new link.",
  "error.invitation_expired":
    "This invitation has expired (valid 72 hours). Ask the town hall for a new one.",
  "error.charter_outdated": "The charter changed in the meantime: read it and accept it again.",
  "error.passkey_in_use": "This passkey is already registered.",
  "error.certificate_mismatch": "The certificate does not match the pending device.",
  "error.certificate_time":
    "Your device's clock is far from the server's: check the clock.",
  "error.revocation_number":
    "Another revocation list was published in the meantime: start again.",
  "error.revocation_mismatch": "The signed list does not match the certificates to withdraw.",

  "home.reportLink": "Report an incident",
  "home.operatorTitle": "Municipal police",
  "home.operatorLead":
    "Reports from the shopkeepers of {commune} arrive encrypted: only police devices can read them.",
  "home.openConsole": "Open the police console",
  "report.title": "Report an incident",
  "report.urgent": "Emergency: if an assault is in progress, call 17",
  "report.call17": "Call 17",
  "report.forbidden": "This page is for enrolled shopkeepers only.",
  "report.lead":
    "Your report is encrypted on this device: only the municipal police and your shop's devices can read it.",
  "report.textLabel": "What is happening (optional)",
  "report.textHint": "The facts, without judgement: 4,000 characters at most.",
  "report.textCount": "{count} characters of {max}",
  "report.photosLabel": "Add a photo",
  "report.photosHint":
    "Up to 4 photos. GPS position and camera information are removed before encryption.",
  "report.photoItem": "Photo {n}: {name}",
  "report.removePhoto": "Remove photo {n}",
  "report.send": "Send the report",
  "report.retry": "Try sending again",
  "report.stepChecking": "Checking this device…",
  "report.stepRecipients": "Checking the recipients…",
  "report.stepPhotos": "Preparing the photos…",
  "report.stepSealing": "Encrypting on this device…",
  "report.stepSending": "Sending the report…",
  "report.sent": "Report sent at {time}.",
  "report.sentDetail": "Encrypted for {count} verified recipients.",
  "report.refusedTitle": "Warning: {count} device(s) refused",
  "report.refusedText":
    "These devices failed the security checks and will not receive this report; the other recipients got it.",
  "report.refusedItem": "Device {device}: {reason}",
  "report.refusedService": "Police service key: {reason}",
  "report.callNow": "The report was not sent. Call 17.",
  "report.notSentRetry": "The report is encrypted but not sent yet: try again.",
  "report.newReport": "Make another report",
  "report.textTooLong": "The text is longer than {max} characters: shorten it.",
  "report.tooManyPhotos": "At most {max} photos per report.",
  "console.title": "Police console",
  "console.forbidden": "This page is for municipal police operators only.",
  "console.keyTitle": "Police service key",
  "console.keyChecking": "Checking the service key…",
  "console.keyCreated": "Service key created on this device (generation {number}).",
  "console.keyHeld": "This device holds the service key (generation {number}).",
  "console.keyWaiting":
    "This device is waiting for the service key (generation {number}): another operator device must pass it on by opening the console.",
  "console.keyGranted": "Key passed on to {count} new operator device(s).",
  "console.keyRefused": "{count} pending device(s) refused: invalid certificate chain.",
  "console.keyHistory": "Earlier generations held (history readable): {numbers}.",
  "console.keyHistoryRefused":
    "Earlier generations refused (history unreadable on this device): {numbers}.",
  "console.notOperator": "This device is not certified for a police operator.",
  "console.incidentsTitle": "Reports",
  "console.noIncidents": "No reports yet.",
  "console.refresh": "Refresh",
  "console.refreshed": "List up to date: {count} report(s).",
  "console.incidentLine": "{shop} – {date}",
  "console.messagesCount": "messages: {count}",
  "console.open": "Open the report from {shop}",
  "console.opening": "Decrypting on this device…",
  "console.opened": "Report from {shop}: {count} message(s).",
  "console.close": "Close the report",
  "console.incidentTitle": "Report from {shop}",
  "console.sentAt": "Sent on {date}",
  "console.sender": "By a {role} device",
  "console.viaService": "Opened with the police service key.",
  "console.noText": "(no text)",
  "console.photoAlt": "Photo {n} of the report",
  "console.messageError": "This message cannot be shown.",
  "console.notFound": "This report cannot be found or is not visible from this account.",
  "console.tabTitle": "Maillage — console",
  "console.newReport": "New report: {shop}.",
  "console.newReports": "{count} new reports.",
  "console.newMessage": "New message in the report from {shop}.",
  "console.newMessageOpen": "New message in this report.",
  "console.unread": "Unread",
  "console.newBadge": "New",
  "console.unreadSummary": "Unread: {count}",
  "console.mute": "Mute alert sound",
  "console.muted": "Alert sound muted.",
  "console.unmuted": "Alert sound on.",
  "console.replyTitle": "Reply to the shopkeeper",
  "console.replyLabel": "Your message",
  "console.replyHint":
    "Encrypted on this device for the reporting shop and the police; the server cannot read it.",
  "console.replySend": "Send the reply",
  "console.replySending": "Encrypting and sending…",
  "console.replySent": "Reply sent to the shopkeeper.",
  "console.replyEmpty": "Write a message before sending.",
  "live.lost": "Connection lost — reconnecting…",
  "live.back": "Connection restored.",
  "console.mapTitle": "Map of the shops",
  "console.mapLabel": "Map: sectors, shops, and in red the shops with an open report",
  "console.mapShopAlert": "{shop} — open reports: {count}",
  "console.mapSummary": "Shops on the map: {shops}; with an open report: {alerts}.",
  "console.mapPlain": "No base map configured: sectors and shops on a plain background.",
  "console.mapTilesFailed": "Base map unreachable: sectors and shops on a plain background.",
  "console.mapError": "The map could not be loaded; the list of reports stays up to date.",
  "coord.newPending": "A new device is waiting for approval.",
  "home.reportsTitle": "My reports",
  "home.noReports": "No report sent from this shop yet.",
  "home.reportLine": "Report of {date}",
  "home.reportStatus": "Received by the server and passed on to the police.",
  "home.reportMessages": "messages: {count}",
  "home.newReply": "New reply",
  "home.showThread": "Show the exchange for the report of {date}",
  "home.hideThread": "Hide the exchange",
  "home.fromPolice": "Municipal police",
  "home.fromShop": "Your shop",
  "home.replyArrived": "New reply from the police to your report.",
  "incident.error.no_device":
    "This browser has no device keys: sign in from your registered device.",
  "incident.error.not_certified":
    "This device is not certified by the town hall yet: it can neither send nor read reports.",
  "incident.error.not_a_recipient": "This message was not encrypted for this device.",
  "incident.error.own_device_untrusted":
    "This device's approval was withdrawn: the police could not read this report. Ask the town hall to approve this device again.",
  "incident.error.unsupported_version": "Unknown envelope version: update the app.",
  "incident.error.wrong_context": "This envelope belongs to another report or message.",
  "incident.error.wrong_sender": "The announced sender does not match the attached certificate.",
  "incident.error.tampered": "The encrypted content was altered or is incomplete.",
  "incident.error.undecryptable": "This message cannot be decrypted with this device's key.",
  "incident.error.too_large": "Encrypted content too large.",
  "incident.error.stale_service_key": "The service key received is older than the last one verified.",
  "incident.error.wrong_service_key": "The service key passed on does not match the published key.",
  "incident.error.not_allowed_recipient": "This device lacks the role required to receive this content.",
  "incident.error.no_police_recipient": "No police recipient could be verified: call 17.",
  "incident.error.unsupported_photo": "Photo format not supported (JPEG, PNG or WebP).",
  "incident.error.photo_too_large": "Photo too large (25 MB at most).",
  "incident.error.unreadable_photo": "Unreadable or incomplete photo.",

  "notFound.title": "Page not found",
  "notFound.text": "This address matches no Maillage page.",
  "broadcast.panelTitle": "Message to every shop",
  "broadcast.panelLead":
    "Encrypted once on this device for every shop device of the commune: the server cannot read it.",
  "broadcast.keyChecking": "Checking the broadcast key…",
  "broadcast.keyNone": "Waiting for the broadcast key.",
  "broadcast.keyWaiting": "Waiting for the broadcast key.",
  "broadcast.keyWaitingOperator":
    "This device is waiting for the broadcast key (generation {number}): another operator device must pass it on by opening the console.",
  "broadcast.keyCreated": "Broadcast key created on this device (generation {number}).",
  "broadcast.keyHeld": "This device holds the broadcast key (generation {number}).",
  "broadcast.keyGranted": "Broadcast key passed on to {count} device(s).",
  "broadcast.keyRefusedDevices": "{count} pending device(s) refused: invalid certificate chain.",
  "broadcast.keyRefused": "Broadcast key refused by this device: {reason}",
  "broadcast.holders": "Shop devices holding the key: {count}.",
  "broadcast.noKey": "This device has no verified broadcast key yet.",
  "broadcast.noGrant": "This device did not receive the broadcast key of this message.",
  "broadcast.textLabel": "Message to send to every shop",
  "broadcast.textHint": "Short and factual: at most {max} characters.",
  "broadcast.send": "Send to every shop",
  "broadcast.sending": "Encrypting and sending…",
  "broadcast.sent": "Message sent to every shop.",
  "broadcast.empty": "Write a message before sending.",
  "broadcast.sendFailed": "The message was not sent. {reason}",
  "broadcast.sentTitle": "Messages sent",
  "broadcast.noneSent": "No message sent yet.",
  "broadcast.toAll": "To every shop",
  "broadcast.homeTitle": "Messages from the municipal police",
  "broadcast.fromPolice": "Message from the municipal police",
  "broadcast.noneReceived": "No message from the police yet.",
  "broadcast.arrived": "New message from the municipal police.",
  "broadcast.newBadge": "New",
  "broadcast.markRead": "Mark as read",
  "broadcast.sentAt": "Sent on {date}",
  "broadcast.photoAlt": "Photo {n} of the message",
  "broadcast.unreadable": "This message cannot be shown.",
  // --- Neighbour alerts (issue 9, item 4: h-neigh) ---
  "neighbours.homeTitle": "Alerts from neighbouring shops",
  "neighbours.consoleTitle": "Alerts to neighbouring shops",
  "neighbours.consoleLead":
    "Shopkeepers' alerts wait for your validation before they go to their sector. Each alert is encrypted once with the sector's key.",
  "neighbours.pendingTitle": "Awaiting validation",
  "neighbours.activeTitle": "Current alerts",
  "neighbours.nonePending": "No alert awaiting validation.",
  "neighbours.noneActive": "No current alert.",
  "neighbours.statusPending": "Awaiting validation",
  "neighbours.statusActive": "Current alert",
  "neighbours.statusEnded": "End of alert",
  "neighbours.from": "From: {from}",
  "neighbours.sector": "Sector: {sector}",
  "neighbours.sentAt": "Sent at {time}",
  "neighbours.expiresAt": "Ends at {time}",
  "neighbours.endedByPolice": "End of alert given by the municipal police.",
  "neighbours.endedExpired": "Automatic end of alert: the time is up.",
  "neighbours.validate": "Validate",
  "neighbours.refuse": "Refuse",
  "neighbours.validateLabel": "Validate the alert from {from}",
  "neighbours.refuseLabel": "Refuse and delete the alert from {from}",
  "neighbours.end": "End of alert",
  "neighbours.endLabel": "End of alert for {from}",
  "neighbours.endMessageLabel": "End-of-alert message (optional)",
  "neighbours.dismiss": "Got it",
  "neighbours.writeTitle": "Alert a sector",
  "neighbours.sectorLabel": "Sector",
  "neighbours.textLabel": "Alert message",
  "neighbours.textHint": "Short and factual: it goes encrypted to the sector's shops.",
  "neighbours.send": "Alert the sector",
  "neighbours.sending": "Sending…",
  "neighbours.sent": "Alert sent to the sector's shops.",
  "neighbours.empty": "Write the alert message.",
  "neighbours.noSector": "Your shop has no sector: the alert cannot go.",
  "neighbours.noKey":
    "The sector's key is not yet on this device: an operator's console hands it over.",
  "neighbours.keysHeld": "Sector keys held: {count}.",
  "neighbours.unreadable": "This alert cannot be shown.",
  "neighbours.arrivedNotice": "New alert from a neighbouring shop: {from}.",
  "neighbours.pendingNotice": "A shopkeeper's alert awaits your validation.",
  "neighbours.validatedNotice": "Alert validated: it goes to the sector's shops.",
  "neighbours.refusedDone": "Alert refused and deleted.",
  "neighbours.refusedNotice": "Your alert to neighbouring shops was refused by the municipal police.",
  "neighbours.endedNotice": "End of alert.",
  "neighbours.endedExpiredNotice": "End of alert (time is up).",
  "neighbours.endedDone": "End of alert sent.",
  "neighbours.policeLabel": "Municipal police",
  "neighbours.incidentLink": "See the report from {from}",
  "neighbours.warnTitle": "Warn neighbouring shops",
  "neighbours.warnHint":
    "Short and factual, no names or descriptions of people: encrypted, it goes to the shops of your sector, once the municipal police validate it if the commune requires it.",
  "neighbours.warnSend": "Warn the neighbours",
  "neighbours.warnSent": "Alert sent: it awaits the municipal police's validation.",
  "neighbours.warnSentOut": "Alert sent to the shops of your sector.",
};

export const catalogues: Record<Lang, Record<MessageKey, string>> = { fr, en };

function storedLang(): Lang {
  try {
    const value = localStorage.getItem(LANG_STORAGE_KEY);
    if (value === "fr" || value === "en") return value;
  } catch {
    /* no storage: French */
  }
  return DEFAULT_LANG;
}

const langStore = createStore<Lang>(
  typeof localStorage === "undefined" ? DEFAULT_LANG : storedLang(),
);

export function getLang(): Lang {
  return langStore.get();
}

export function setLang(next: Lang): void {
  try {
    localStorage.setItem(LANG_STORAGE_KEY, next);
  } catch {
    /* not persisted */
  }
  if (typeof document !== "undefined") document.documentElement.lang = next;
  langStore.set(next);
}

export function hasMessage(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(fr, key);
}

/** `t("home.hello", {name})`: the sentence in the current (or given) language. */
export function t(
  key: MessageKey,
  params: Record<string, string | number> = {},
  language: Lang = langStore.get(),
): string {
  const template = catalogues[language][key] ?? fr[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export function roleLabel(role: string, serverLabel = ""): string {
  const key = `role.${role}`;
  if (hasMessage(key)) return t(key);
  return serverLabel || role;
}

export function statusLabel(status: string): string {
  const key = `status.${status}`;
  return hasMessage(key) ? t(key) : status;
}

export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(getLang() === "fr" ? "fr-FR" : "en-GB", {
    dateStyle: "long",
    timeStyle: "short",
  }).format(date);
}

/** Re-renders the caller when the language changes; keeps <html lang> in step. */
export function useLang(): Lang {
  const current = useStore(langStore);
  useEffect(() => {
    if (document.documentElement.lang !== current) document.documentElement.lang = current;
  }, [current]);
  return current;
}
