import { describe, expect, it } from "vitest";
import {
  certificateFields,
  nextRevocationList,
  type Certifier,
} from "../src/coordination/certify";
import type { DeviceKeys } from "../src/device/keystore";
import {
  fingerprint,
  issueCertificate,
  publicKeyB64,
  TrustError,
  verifyChain,
  verifyRevocationList,
  type RevocationList,
} from "../src/trust/chain";
import { b64urlDecode } from "../src/trust/b64";

const COMMUNE = "0b6f4a52-4c1e-4d7a-9a43-5f0e2c8b1a01";
const NOW = 1_770_000_000;

async function ed25519(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ name: "Ed25519" }, false, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
}

async function deviceKeys(): Promise<DeviceKeys> {
  const sign = await ed25519();
  const enc = (await crypto.subtle.generateKey({ name: "X25519" }, false, [
    "deriveBits",
  ])) as CryptoKeyPair;
  return {
    signPrivate: sign.privateKey,
    signPublic: sign.publicKey,
    encPrivate: enc.privateKey,
    encPublic: enc.publicKey,
    signKey: await publicKeyB64(sign.publicKey),
    encKey: await publicKeyB64(enc.publicKey),
    createdAt: 0,
  };
}

/** A commune root, a coordinator device certified by it, and revocation list 0. */
async function setting() {
  const root = await ed25519();
  const rootKey = await publicKeyB64(root.publicKey);
  const rootPrint = await fingerprint(b64urlDecode(rootKey));
  const coordinator = await deviceKeys();
  const coordinatorCert = await issueCertificate(root, {
    commune: COMMUNE,
    device: "coord-device",
    member: "coord-member",
    role: "coordinateur",
    shop: null,
    enc_key: coordinator.encKey,
    sign_key: coordinator.signKey,
    may_certify: true,
    issued_at: NOW - 100,
    expires_at: NOW + 1000,
  });
  const list0: RevocationList = {
    commune: COMMUNE,
    number: 0,
    issued_at: NOW - 100,
    entries: [],
    issuer: rootPrint,
  };
  const certifier: Certifier = {
    keys: coordinator,
    deviceId: "coord-device",
    commune: COMMUNE,
    certificate: await verifyChain([coordinatorCert], rootKey, rootPrint, COMMUNE, list0, NOW),
    revocations: list0,
    pinned: { fingerprint: rootPrint, source: "link" },
  };
  return { rootKey, rootPrint, coordinatorCert, certifier };
}

describe("approving a device in the coordinator's browser", () => {
  it("signs a certificate that verifies up to the pinned root", async () => {
    const { rootKey, rootPrint, coordinatorCert, certifier } = await setting();
    const merchant = await deviceKeys();
    const fields = certificateFields(
      certifier,
      {
        id: "merchant-device",
        memberId: "merchant-member",
        role: "commercant",
        shopId: "shop-1",
        encKey: merchant.encKey,
        signKey: merchant.signKey,
      },
      NOW,
    );
    // Never outlives the issuer's own certificate, never certifies further.
    expect(fields.expires_at).toBe(NOW + 1000);
    expect(fields.may_certify).toBe(false);

    const leaf = await issueCertificate(
      { publicKey: certifier.keys.signPublic, privateKey: certifier.keys.signPrivate },
      fields,
    );
    const body = await verifyChain(
      [leaf, coordinatorCert],
      rootKey,
      rootPrint,
      COMMUNE,
      certifier.revocations,
      NOW,
    );
    expect(body.device).toBe("merchant-device");
    expect(body.shop).toBe("shop-1");
    expect(body.issuer).toBe(await fingerprint(b64urlDecode(certifier.keys.signKey)));
  });

  it("signs the next cumulative revocation list, and a revoked certificate then fails", async () => {
    const { rootKey, rootPrint, coordinatorCert, certifier } = await setting();
    const merchant = await deviceKeys();
    const leaf = await issueCertificate(
      { publicKey: certifier.keys.signPublic, privateKey: certifier.keys.signPrivate },
      {
        ...certificateFields(
          certifier,
          {
            id: "merchant-device",
            memberId: "merchant-member",
            role: "commercant",
            shopId: "shop-1",
            encKey: merchant.encKey,
            signKey: merchant.signKey,
          },
          NOW,
        ),
        serial: "merchant-serial",
      },
    );
    const next = await nextRevocationList(
      certifier,
      [
        { serial: "merchant-serial", device: "merchant-device", reason: "revoked" },
        { serial: "merchant-serial", device: "merchant-device", reason: "revoked" },
      ],
      NOW,
    );
    const list = await verifyRevocationList(
      next,
      [coordinatorCert],
      rootKey,
      rootPrint,
      COMMUNE,
      0,
      NOW,
    );
    expect(list.number).toBe(1);
    expect(list.entries).toEqual([
      { serial: "merchant-serial", device: "merchant-device", reason: "revoked", at: NOW },
    ]);
    await expect(
      verifyChain([leaf, coordinatorCert], rootKey, rootPrint, COMMUNE, list, NOW),
    ).rejects.toBeInstanceOf(TrustError);
  });
});
