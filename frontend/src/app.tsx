/** The shell: skip link, demo banner, header with navigation and language, the routed page. */

import { useEffect, useRef } from "preact/hooks";
import { LiveStatus } from "./components/ui";
import { rememberLang } from "./device/keystore";
import { setLang, t, useLang } from "./i18n";
import { useSelfEvents } from "./live/browser";
import { useOutboxRunner } from "./alert/queue";
import { useMeta } from "./meta";
import { ConsolePage } from "./pages/console";
import { AgentPage } from "./pages/agent";
import { DutyPage } from "./pages/coordination/duty";
import { PartnerPage } from "./duty/PartnerPage";
import { CoordinationPage } from "./pages/coordination";
import { MAIRIE_ROUTES } from "./pages/coordination/routes";
import { DemoPage } from "./pages/demo";
import { EnrolPage } from "./pages/enrol";
import { HomePage } from "./pages/home";
import { NotFoundPage } from "./pages/not-found";
import { ReportPage } from "./pages/report";
import { SignInPage } from "./pages/signin";
import { StatsPage } from "./pages/stats";
import { can, mayCoordinate, PERMISSION } from "./permissions";
import { usePushRenewal } from "./push/PushConsent";
import { promptInstall, useInstallOffer } from "./pwa/install";
import { useLaunchRoute } from "./pwa/launch";
import { Link, navigate, resolveRoute, route, useRoute, type Route } from "./router";
import { clearNotice, loadSession, logout, useSession } from "./session";

function DemoBanner() {
  return (
    <div class="demo-banner" role="note" aria-label={t("demo.bannerLabel")}>
      <p>
        <strong>{t("demo.bannerTitle")}</strong> {t("demo.bannerText")}
      </p>
    </div>
  );
}

/** « Installer l'application », while the browser offers to (pwa/install.ts). */
function InstallItem() {
  if (!useInstallOffer()) return null;
  const install = () => {
    // The button goes at once: focus moves to the content rather than to nowhere.
    document.getElementById("contenu")?.focus();
    void promptInstall().catch(() => undefined);
  };
  return (
    <li>
      <button type="button" class="link-button" onClick={install}>
        {t("pwa.install")}
      </button>
    </li>
  );
}

function LanguageSwitch() {
  const lang = useLang();
  const other = lang === "fr" ? "en" : "fr";
  return (
    <button
      type="button"
      class="lang-switch"
      lang={other}
      onClick={() => setLang(other)}
      aria-label={t("lang.switchLabel")}
    >
      {t("lang.switch")}
    </button>
  );
}

/** Every page by path; `/incidents/:id` opens one report in the police console. */
export const ROUTES: readonly Route[] = [
  route("/", () => <HomePage />),
  route("/rejoindre", () => <EnrolPage />),
  route("/connexion", () => <SignInPage />),
  route("/coordination", () => <CoordinationPage />),
  ...MAIRIE_ROUTES,
  route("/coordination/permanence", () => <DutyPage />),
  route("/repli", () => <PartnerPage />),
  route("/demo", () => <DemoPage />),
  route("/signaler", () => <ReportPage />),
  route("/statistiques", () => <StatsPage />),
  route("/console", () => <ConsolePage incident={null} />, "console"),
  route("/incidents/:id", ({ id }) => <ConsolePage incident={id} />, "console"),
  route("/agent", () => <AgentPage incident={null} />, "agent"),
  route("/agent/:id", ({ id }) => <AgentPage incident={id} />, "agent"),
];

export function App() {
  const lang = useLang();
  const path = useRoute();
  const matched = resolveRoute(ROUTES, path);
  const page = matched?.route.page ?? "not-found";
  const meta = useMeta();
  const { session, notice } = useSession();
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  useEffect(() => {
    void loadSession().catch(() => undefined);
  }, []);
  useLaunchRoute(session);

  // Reports left waiting on this device (a closed tab, a reboot) go from any page.
  useOutboxRunner(session);
  // A subscription consent was given for, renewed when it is gone (push/subscription.ts).
  usePushRenewal(session);

  // The service worker words notifications in this language (it has no localStorage).
  useEffect(() => {
    void rememberLang(lang).catch(() => undefined);
  }, [lang]);

  // Approved while waiting: straight to the shop's (or the workspace's) home.
  useSelfEvents(() => {
    if (path !== "/") navigate("/");
  });

  // On each client-side navigation to another page, move focus to its heading (WCAG 2.4.3);
  // within one page (a console opening a report) the page places focus itself.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const heading = main.current?.querySelector<HTMLElement>("h1");
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    } else {
      main.current?.focus();
    }
  }, [page]);

  const signedIn = !!session?.authenticated;
  const isCoordinator = mayCoordinate(session);
  const demo = !!meta?.demo_mode;
  const current = (href: string) => (path === href ? "page" : undefined);

  return (
    <>
      <a class="skip-link" href="#contenu">
        {t("nav.skip")}
      </a>
      {demo ? <DemoBanner /> : null}
      <header class="site-header">
        <div class="header-inner">
          <Link href="/" class="brand">
            <span aria-hidden="true" class="brand-mark">
              ◆
            </span>{" "}
            Maillage
          </Link>
          <nav aria-label={t("nav.label")}>
            <ul class="nav-list">
              <li>
                <Link href="/" aria-current={current("/")}>
                  {t("nav.home")}
                </Link>
              </li>
              {isCoordinator ? (
                <li>
                  <Link href="/coordination" aria-current={current("/coordination")}>
                    {t("nav.coordination")}
                  </Link>
                </li>
              ) : null}
              {can(session, PERMISSION.viewStats) ? (
                <li>
                  <Link href="/statistiques" aria-current={current("/statistiques")}>
                    {t("stats.nav")}
                  </Link>
                </li>
              ) : null}
              {demo ? (
                <li>
                  <Link href="/demo" aria-current={current("/demo")}>
                    {t("nav.demo")}
                  </Link>
                </li>
              ) : null}
              <InstallItem />
              {signedIn ? (
                <li>
                  <button
                    type="button"
                    class="link-button"
                    onClick={() => void logout().finally(() => navigate("/"))}
                  >
                    {t("nav.logout")}
                  </button>
                </li>
              ) : (
                <li>
                  <Link href="/connexion" aria-current={current("/connexion")}>
                    {t("nav.signin")}
                  </Link>
                </li>
              )}
            </ul>
          </nav>
          <LanguageSwitch />
        </div>
      </header>
      <main id="contenu" ref={main} tabIndex={-1}>
        {notice ? (
          <div class="notice" role="alert">
            <p>{notice}</p>
            <button type="button" class="button button-secondary" onClick={clearNotice}>
              {t("common.dismiss")}
            </button>
          </div>
        ) : (
          <LiveStatus message={null} />
        )}
        {matched ? matched.route.render(matched.params) : <NotFoundPage />}
      </main>
      <footer class="site-footer">
        <p class="emergency">
          <strong>{t("footer.emergency")}</strong>{" "}
          <a href="tel:17" class="tel">
            {t("footer.call17")}
          </a>
        </p>
        <p>{t("footer.complement")}</p>
      </footer>
    </>
  );
}
