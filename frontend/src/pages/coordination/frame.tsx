/**
 * What every mairie screen shares: the coordinator-only gate (a French refusal for other
 * roles; the server refuses them anyway) and the navigation between the screens.
 */

import type { ComponentChildren } from "preact";
import { Loading, usePageTitle } from "../../components/ui";
import { t, type MessageKey } from "../../i18n";
import { mayCoordinate } from "../../permissions";
import { Link, useRoute } from "../../router";
import { useSession } from "../../session";

const SCREENS: { href: string; label: MessageKey }[] = [
  { href: "/coordination", label: "mairie.navHome" },
  { href: "/coordination/commerces", label: "mairie.navShops" },
  { href: "/coordination/commerces/import", label: "mairie.navImport" },
  { href: "/coordination/secteurs", label: "mairie.navSectors" },
  { href: "/coordination/charte", label: "mairie.navCharter" },
  { href: "/coordination/reglages", label: "mairie.navSettings" },
  { href: "/coordination/permanence", label: "duty.nav" },
  { href: "/coordination/joignabilite", label: "channels.title" },
];

export function MairieNav() {
  const path = useRoute();
  return (
    <nav aria-label={t("mairie.navLabel")} class="mairie-nav">
      <ul>
        {SCREENS.map((screen) => (
          <li key={screen.href}>
            <Link href={screen.href} aria-current={path === screen.href ? "page" : undefined}>
              {t(screen.label)}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** The page's h1 and nav for a coordinator; a refusal for anyone else. */
export function MairieScreen(props: {
  title: string;
  children: (commune: string | undefined) => ComponentChildren;
}) {
  usePageTitle(props.title);
  const { session } = useSession();
  if (!session) return <Loading />;
  if (!mayCoordinate(session)) {
    return (
      <section aria-labelledby="mairie-title" class="stack">
        <h1 id="mairie-title">{props.title}</h1>
        <p class="callout callout-warning">{t("coord.forbidden")}</p>
        <p>
          <Link href="/" class="button button-primary">
            {t("enrol.goHome")}
          </Link>
        </p>
      </section>
    );
  }
  return (
    <div class="stack">
      <h1 id="mairie-title">{props.title}</h1>
      <MairieNav />
      {props.children(session.membership?.commune?.id)}
    </div>
  );
}
