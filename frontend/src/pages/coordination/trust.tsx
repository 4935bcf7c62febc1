/** The coordinator's own device, checked as a certifier: what it verified, its fingerprint. */

import { useEffect, useState } from "preact/hooks";
import { ErrorMessage, Loading } from "../../components/ui";
import { keyFingerprint, type Certifier } from "../../coordination/certify";
import { t } from "../../i18n";
import { groupForReading } from "../device";

export function TrustPanel(props: {
  certifier: Certifier | null;
  error: string | null;
  checking: boolean;
}) {
  const [print, setPrint] = useState("");
  useEffect(() => {
    if (props.certifier) void keyFingerprint(props.certifier.keys.signKey).then(setPrint);
  }, [props.certifier]);
  return (
    <section aria-labelledby="trust-title" class="card">
      <h2 id="trust-title">{t("coord.trustTitle")}</h2>
      {props.checking && !props.certifier ? <Loading /> : null}
      {props.certifier ? (
        <>
          <p class="ok">{t("coord.trustOk")}</p>
          <p>
            {t("coord.revocationNumber", { number: String(props.certifier.revocations.number) })}
          </p>
          {print ? (
            <p>
              {t("coord.ownFingerprint")}{" "}
              <span class="fingerprint">{groupForReading(print)}</span>
            </p>
          ) : null}
          {props.certifier.pinned.source === "server" ? (
            <p class="callout callout-warning">
              {t("coord.rootFromServer")}{" "}
              <span class="fingerprint">{props.certifier.pinned.fingerprint}</span>
            </p>
          ) : null}
        </>
      ) : null}
      {props.error ? <ErrorMessage message={props.error} /> : null}
    </section>
  );
}
