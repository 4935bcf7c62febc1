/**
 * « Joignabilité des appareils » on screen: the coordinator's page (`<ChannelsPanel>`, all
 * of it) and the police console's one line (`<ChannelsConsoleLine>`, « 3 appareils
 * injoignables », a native disclosure that opens the same list). The state in words in
 * every row (never a colour alone); a device's attempts in a table of their own.
 */

import { useEffect, useMemo, useState } from "preact/hooks";
import { ErrorMessage, LiveStatus, Loading } from "../components/ui";
import { formatDateTime, roleLabel, t } from "../i18n";
import { useStreamEvent, useStreamResync } from "../live/browser";
import { useStore } from "../store";
import {
  CHANNEL_KINDS,
  channelText,
  createChannels,
  orderChannels,
  resultText,
  transportText,
  unreachableOf,
  unreachableSummary,
  type ChannelsModel,
  type DeliveryAttempt,
  type DeviceChannel,
} from "./channels";

type Level = 2 | 3;

/** The model, loaded now, again on each event that changes the list and after a resync. */
function useChannels(): ChannelsModel {
  const model = useMemo(() => createChannels(), []);
  useEffect(() => {
    void model.load();
  }, [model]);
  useStreamEvent(CHANNEL_KINDS, (event) => void model.live(event));
  useStreamResync(() => void model.load());
  return model;
}

const when = (iso: string | null): string => (iso ? formatDateTime(iso) : t("channels.never"));

function Heading({ level, id, children }: { level: Level; id: string; children: string }) {
  return level === 2 ? <h2 id={id}>{children}</h2> : <h3 id={id}>{children}</h3>;
}

function DeviceRow({
  device,
  selected,
  onSelect,
}: {
  device: DeviceChannel;
  selected: boolean;
  onSelect: (device: string | null) => void;
}) {
  return (
    <tr data-device={device.device} data-reachable={device.reachable ? "true" : "false"}>
      <th scope="row">{device.name}</th>
      <td>{roleLabel(device.role)}</td>
      <td>{device.shop ?? t("channels.noShop")}</td>
      <td>
        <span class={device.reachable ? "badge badge-active" : "badge badge-revoked"}>
          {device.reachable ? t("channels.reachable") : t("channels.unreachable")}
        </span>
        <span class="block channels-why">{channelText(device)}</span>
      </td>
      <td>
        <span class="block">{t("channels.lastSuccess", { when: when(device.lastPushSuccess) })}</span>
        <span class="block">{t("channels.lastFailure", { when: when(device.lastPushFailure) })}</span>
      </td>
      <td>
        <button
          type="button"
          class="button button-secondary nowrap"
          aria-expanded={selected ? "true" : "false"}
          aria-controls="channels-attempts"
          aria-label={t("channels.showAttemptsFor", { name: device.name })}
          onClick={() => onSelect(selected ? null : device.device)}
        >
          {t("channels.showAttempts")}
        </button>
      </td>
    </tr>
  );
}

function DevicesTable({
  devices,
  caption,
  selected,
  onSelect,
}: {
  devices: DeviceChannel[];
  caption: string;
  selected: string | null;
  onSelect: (device: string | null) => void;
}) {
  return (
    <div class="table-scroll" role="region" aria-labelledby="channels-caption" tabIndex={0}>
      <table class="data-table channels-table">
        <caption id="channels-caption">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{t("channels.colMember")}</th>
            <th scope="col">{t("channels.colRole")}</th>
            <th scope="col">{t("channels.colShop")}</th>
            <th scope="col">{t("channels.colState")}</th>
            <th scope="col">{t("channels.colPushes")}</th>
            <th scope="col">{t("channels.colAttempts")}</th>
          </tr>
        </thead>
        <tbody>
          {devices.map((device) => (
            <DeviceRow
              key={device.device}
              device={device}
              selected={device.device === selected}
              onSelect={onSelect}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AttemptRow({ attempt }: { attempt: DeliveryAttempt }) {
  return (
    <tr data-result={attempt.result}>
      <th scope="row">{formatDateTime(attempt.at)}</th>
      <td>{transportText(attempt.transport)}</td>
      <td>{attempt.number}</td>
      <td>{resultText(attempt.result)}</td>
      <td>{attempt.status === null ? t("channels.noStatus") : attempt.status}</td>
      <td class="nowrap">{t("channels.duration", { ms: attempt.durationMs })}</td>
      <td>{attempt.detail}</td>
    </tr>
  );
}

function Attempts({ model, level }: { model: ChannelsModel; level: Level }) {
  const { devices, selected, attempts, attemptsError } = useStore(model.state);
  const device = devices?.find((d) => d.device === selected) ?? null;
  // A device revoked meanwhile leaves the list: its attempts go with it.
  useEffect(() => {
    if (selected && devices && !device) void model.select(null);
  }, [selected, devices, device, model]);
  return (
    <div id="channels-attempts">
      {device ? (
        <section class="stack" aria-labelledby="channels-attempts-title">
          <Heading level={level} id="channels-attempts-title">
            {t("channels.attemptsTitle", { name: device.name })}
          </Heading>
          <ErrorMessage message={attemptsError} />
          {attempts === null && !attemptsError ? <Loading /> : null}
          {attempts && attempts.length === 0 ? <p>{t("channels.noAttempts")}</p> : null}
          {attempts && attempts.length > 0 ? (
            <div
              class="table-scroll"
              role="region"
              aria-labelledby="channels-attempts-caption"
              tabIndex={0}
            >
              <table class="data-table">
                <caption id="channels-attempts-caption">
                  {t("channels.attemptsCaption", { name: device.name })}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">{t("channels.colAt")}</th>
                    <th scope="col">{t("channels.colTransport")}</th>
                    <th scope="col">{t("channels.colNumber")}</th>
                    <th scope="col">{t("channels.colResult")}</th>
                    <th scope="col">{t("channels.colStatus")}</th>
                    <th scope="col">{t("channels.colDuration")}</th>
                    <th scope="col">{t("channels.colDetail")}</th>
                  </tr>
                </thead>
                <tbody>
                  {attempts.map((attempt) => (
                    <AttemptRow key={`${attempt.at}-${attempt.seq}-${attempt.number}`} attempt={attempt} />
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          <p>
            <button
              type="button"
              class="button button-secondary"
              onClick={() => void model.select(null)}
            >
              {t("channels.closeAttempts")}
            </button>
          </p>
        </section>
      ) : null}
    </div>
  );
}

/** The list (unreachable devices, or all of them unreachable first) and the attempts. */
function ChannelsBody({
  model,
  all,
  level,
}: {
  model: ChannelsModel;
  all: boolean;
  level: Level;
}) {
  const { devices, error, said, selected } = useStore(model.state);
  if (devices === null) return error ? <ErrorMessage message={error} /> : <Loading />;
  const shown = all ? orderChannels(devices) : unreachableOf(devices);
  const select = (device: string | null) => void model.select(device);
  return (
    <>
      <ErrorMessage message={error} />
      <LiveStatus message={said} />
      {shown.length > 0 ? (
        <DevicesTable
          devices={shown}
          caption={all ? t("channels.captionAll") : t("channels.caption")}
          selected={selected}
          onSelect={select}
        />
      ) : (
        <p>{t("channels.noneUnreachable")}</p>
      )}
      <Attempts model={model} level={level} />
    </>
  );
}

/** The coordinator's page body: summary, the list, the reachable ones on demand. */
export function ChannelsPanel() {
  const model = useChannels();
  const { devices, loading } = useStore(model.state);
  const [all, setAll] = useState(false);
  const unreachable = devices ? unreachableOf(devices).length : null;
  const reachable = devices ? devices.length - (unreachable ?? 0) : 0;
  return (
    <div class="stack channels-panel">
      <p class="hint">{t("channels.lead")}</p>
      {unreachable !== null ? (
        <p class="lead" data-unreachable={unreachable}>
          <strong>{unreachableSummary(unreachable)}</strong>
        </p>
      ) : null}
      <div class="console-tools">
        <button
          type="button"
          class="button button-secondary"
          disabled={loading}
          onClick={() => void model.load()}
        >
          {t("console.refresh")}
        </button>
        <label class="checkbox">
          <input
            type="checkbox"
            checked={all}
            onChange={(e) => setAll((e.target as HTMLInputElement).checked)}
          />
          {t("channels.showReachable", { count: reachable })}
        </label>
      </div>
      <section class="stack" aria-labelledby="channels-list-title">
        <h2 id="channels-list-title">{t("channels.listTitle")}</h2>
        <ChannelsBody model={model} all={all} level={2} />
      </section>
    </div>
  );
}

/**
 * The console's line: « N appareils injoignables » as a disclosure (Enter or Space on it,
 * no key of its own), the list inside, read again each time it opens.
 */
export function ChannelsConsoleLine() {
  const model = useChannels();
  const { devices } = useStore(model.state);
  const unreachable = devices ? unreachableOf(devices).length : null;
  const onToggle = (event: Event) => {
    if ((event.currentTarget as HTMLDetailsElement).open) void model.load();
  };
  return (
    <details class="card channels-console" onToggle={onToggle} data-unreachable={unreachable ?? ""}>
      <summary>
        {unreachable === null ? t("channels.title") : unreachableSummary(unreachable)}
      </summary>
      <div class="stack">
        <h2 id="channels-console-title">{t("channels.title")}</h2>
        <p class="hint">{t("channels.lead")}</p>
        <ChannelsBody model={model} all={false} level={3} />
      </div>
    </details>
  );
}
