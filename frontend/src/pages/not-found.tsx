import { usePageTitle } from "../components/ui";
import { t } from "../i18n";
import { Link } from "../router";

export function NotFoundPage() {
  usePageTitle(t("notFound.title"));
  return (
    <section aria-labelledby="nf-title" class="stack">
      <h1 id="nf-title">{t("notFound.title")}</h1>
      <p>{t("notFound.text")}</p>
      <p>
        <Link href="/" class="button button-primary">
          {t("enrol.goHome")}
        </Link>
      </p>
    </section>
  );
}
