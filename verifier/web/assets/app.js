// EduLedger verifier page: reads a credential (file, drop or paste) or a verification link, asks the
// service's API and shows the verdict with every check. Everything is built with textContent: nothing
// from a credential or the ledger is ever interpreted as HTML.
"use strict";

(function () {
  const T = {
    zh: {
      skip: "跳到主要内容",
      subtitle: "学习成果与教育身份凭证验证",
      title: "验证学历、证书与教育身份",
      lede: "上传或粘贴学生提供的电子凭证，或输入纸质证书上二维码的验证链接。本服务逐项核对数字签名和区块链账本记录，无需注册账号。",
      fileHeading: "验证凭证文件",
      dropMain: "拖放凭证文件到这里，或点击选择文件",
      dropHint: "支持 .json 格式的可验证凭证（VC）、可验证展示（VP），或学习者签署的档案/学分授权书",
      pasteSummary: "或粘贴凭证内容（JSON）",
      pasteLabel: "凭证 JSON",
      verifyButton: "验证",
      linkHeading: "查询验证链接或二维码",
      linkLabel: "粘贴纸质证书二维码中的链接，或扫码枪读取的内容",
      lookupButton: "查询",
      linkNote: "链接只能证明纸质证书与账本记录一致；如需核对证书的全部内容，请让持有人提供电子凭证文件。",
      privacy: "所提交的凭证仅用于本次验证，不会被保存。本页面不加载任何外部脚本或字体，可在内网离线使用。",
      apiLink: "开放接口文档（OpenAPI）",
      issuersLink: "已登记的签发机构（JSON）",
      checking: "正在验证…",
      checkingSub: "正在核对签名并查询区块链账本",
      verified: "验证通过",
      verifiedSub: "该凭证真实、有效，所有检查均已通过。",
      notVerified: "未通过验证",
      notVerifiedSub: "至少一项检查未通过，请勿采信该凭证。详见下方原因。",
      unknown: "无法确定",
      unknownLedger: "无法连接区块链账本，暂时无法确认该凭证。请稍后重试；在此之前不要将其视为有效。",
      unknownSub: "部分检查无法完成，暂时无法确认该凭证。",
      linkVerified: "账本记录与链接一致",
      linkVerifiedSub: "账本上的记录有效，且与该链接（纸质证书）一致。如需核对证书全部内容，请查验电子凭证文件。",
      linkNotVerified: "链接未通过验证",
      error: "无法验证",
      errorSub: "无法读取该文件或链接：",
      networkError: "无法连接验证服务，请检查网络后重试。",
      emptyPaste: "请先粘贴凭证内容。",
      emptyLink: "请先输入验证链接。",
      credential: "凭证",
      presentation: "可验证展示",
      holder: "持有人",
      type: "类型",
      name: "名称",
      issuer: "签发机构",
      issuerClaimed: "凭证自称的签发机构",
      issuerUnknown: "账本上未登记",
      issuerUnchecked: "无法连接账本核实",
      learner: "学习者编号",
      validFrom: "生效日期",
      validUntil: "有效期至",
      noExpiry: "长期有效",
      ledgerStatus: "账本状态",
      anchoredAt: "上链时间",
      credentialId: "凭证编号",
      checks: "检查项目",
      fields: "凭证披露的信息",
      fieldsNote: "以下为凭证本身载明的信息；只有在验证通过时才可采信。",
      noFields: "该凭证未披露其他信息。",
      cardToken: "身份证令牌信息",
      roles: "身份",
      status: { ACTIVE: "有效", SUSPENDED: "已暂停", REVOKED: "已撤销" },
      orgStatus: { ACTIVE: "正常", SUSPENDED: "已暂停" },
      outcome: { passed: "通过", failed: "未通过", unknown: "无法确定", skipped: "未检查" },
      checkNames: {
        format: "格式", schema: "数据规范", proofs: "数字签名", issuerKey: "签发密钥", accreditation: "签发资质",
        anchor: "区块链存证", status: "凭证状态", validity: "有效期", presentation: "展示格式",
        holderBinding: "持有人身份", credentials: "所含凭证", cardToken: "身份证令牌",
      },
      credentialOf: "第 {n} 份凭证",
      consentShown: "经学习者授权展示",
      consentShownSub: "学习者 {id} 授权本服务展示以下记录，有效期至 {until}。",
      consentRefused: "学习者未授权展示",
      consentRefusedSub: "该授权书不能用于本服务：",
      consent: "授权书",
      consentScope: "授权范围",
      scopes: { archive: "终身学习档案", statement: "学分银行对账单" },
      purpose: "用途",
      signedAt: "签署时间",
      registeredBy: "注册机构",
      learnerStatus: { ACTIVE: "正常", SUSPENDED: "已暂停" },
      archive: "终身学习档案（一生一码）",
      archiveNote: "账本上的公开摘要；成绩等完整记录由签发机构保存，不在此展示。",
      archiveEmpty: "档案中尚无记录。",
      date: "日期",
      item: "学习成果",
      level: "级别",
      more: "加载更多",
      statement: "学分银行对账单",
      statementNote: "单位：学分。余额 = 存入 + 认定转入 − 转出 − 兑换；冻结部分对应的学习成果已不再有效。",
      field: "专业领域",
      deposited: "存入",
      recognized: "认定转入",
      transferredOut: "转出",
      redeemed: "已兑换",
      balance: "余额",
      blocked: "冻结",
      total: "合计",
      kinds: { COURSE: "课程", EXAM: "考试", PRACTICE: "实践", AWARD: "获奖", TRAINING: "培训" },
      recordStatus: { ACTIVE: "有效", REVOKED: "已撤销", SUSPENDED: "已暂停", EXPIRED: "已过期" },
    },
    en: {
      skip: "Skip to main content",
      subtitle: "Verification of learning records and education identity",
      title: "Verify diplomas, certificates and education identity",
      lede: "Upload or paste the digital credential a candidate gave you, or enter the verification link from the QR code on a paper certificate. Every signature and the blockchain ledger record are checked one by one. No account needed.",
      fileHeading: "Verify a credential file",
      dropMain: "Drop the credential file here, or click to choose it",
      dropHint: "A verifiable credential (VC) or presentation (VP) as .json, or a learner's consent to see their archive or credits",
      pasteSummary: "Or paste the credential (JSON)",
      pasteLabel: "Credential JSON",
      verifyButton: "Verify",
      linkHeading: "Look up a verification link or QR code",
      linkLabel: "Paste the link from the certificate's QR code, or what a barcode scanner read",
      lookupButton: "Look up",
      linkNote: "A link only shows that the paper matches the ledger's record. To check everything the certificate says, ask the holder for the credential file.",
      privacy: "Credentials you submit are used for this verification only and are not stored. This page loads no external scripts or fonts and works offline on an intranet.",
      apiLink: "Open API (OpenAPI)",
      issuersLink: "Registered issuers (JSON)",
      checking: "Checking…",
      checkingSub: "Verifying signatures and asking the blockchain ledger",
      verified: "Verified",
      verifiedSub: "This credential is authentic and valid: every check passed.",
      notVerified: "Not verified",
      notVerifiedSub: "At least one check failed. Do not rely on this credential; the reasons are below.",
      unknown: "Unknown",
      unknownLedger: "Could not reach the blockchain ledger, so the credential cannot be confirmed now. Try again later; until then do not treat it as valid.",
      unknownSub: "Some checks could not be made, so the credential cannot be confirmed now.",
      linkVerified: "The ledger's record matches this link",
      linkVerifiedSub: "The ledger holds a valid record that matches this link (the paper certificate). To check everything the certificate says, verify the credential file.",
      linkNotVerified: "The link does not check out",
      error: "Cannot verify",
      errorSub: "The file or link could not be read: ",
      networkError: "Could not reach the verification service. Check the network and try again.",
      emptyPaste: "Paste a credential first.",
      emptyLink: "Enter a verification link first.",
      credential: "Credential",
      presentation: "Verifiable presentation",
      holder: "Holder",
      type: "Type",
      name: "Name",
      issuer: "Issuer",
      issuerClaimed: "Issuer the credential claims",
      issuerUnknown: "not registered on the ledger",
      issuerUnchecked: "could not be checked on the ledger",
      learner: "Learner ID",
      validFrom: "Valid from",
      validUntil: "Valid until",
      noExpiry: "no expiry",
      ledgerStatus: "Ledger status",
      anchoredAt: "Anchored",
      credentialId: "Credential ID",
      checks: "Checks",
      fields: "What the credential discloses",
      fieldsNote: "These are the credential's own statements; rely on them only when it is verified.",
      noFields: "The credential discloses nothing else.",
      cardToken: "Identity card token",
      roles: "Roles",
      status: { ACTIVE: "Active", SUSPENDED: "Suspended", REVOKED: "Revoked" },
      orgStatus: { ACTIVE: "Active", SUSPENDED: "Suspended" },
      outcome: { passed: "passed", failed: "failed", unknown: "unknown", skipped: "not checked" },
      checkNames: {
        format: "Format", schema: "Schema", proofs: "Signatures", issuerKey: "Issuer key", accreditation: "Accreditation",
        anchor: "Anchored on the ledger", status: "Status", validity: "Validity", presentation: "Presentation",
        holderBinding: "Holder", credentials: "Credentials", cardToken: "Card token",
      },
      credentialOf: "Credential {n}",
      consentShown: "Shown with the learner's consent",
      consentShownSub: "Learner {id} consented to this service showing the records below, until {until}.",
      consentRefused: "Not consented",
      consentRefusedSub: "This consent does not let this service show the records: ",
      consent: "Consent",
      consentScope: "Scope",
      scopes: { archive: "lifelong archive", statement: "credit statement" },
      purpose: "Purpose",
      signedAt: "Signed",
      registeredBy: "Registered by",
      learnerStatus: { ACTIVE: "Active", SUSPENDED: "Suspended" },
      archive: "Lifelong archive",
      archiveNote: "Public summaries from the ledger; the full records, with grades, stay with their issuers.",
      archiveEmpty: "The archive holds no outcomes yet.",
      date: "Date",
      item: "Outcome",
      level: "Level",
      more: "Load more",
      statement: "Credit statement",
      statementNote: "In credits. Balance = deposited + recognised − transferred − redeemed; blocked credits rest on outcomes no longer valid.",
      field: "Field",
      deposited: "Deposited",
      recognized: "Recognised",
      transferredOut: "Transferred",
      redeemed: "Redeemed",
      balance: "Balance",
      blocked: "Blocked",
      total: "Total",
      kinds: { COURSE: "Course", EXAM: "Exam", PRACTICE: "Practice", AWARD: "Award", TRAINING: "Training" },
      recordStatus: { ACTIVE: "Valid", REVOKED: "Revoked", SUSPENDED: "Suspended", EXPIRED: "Expired" },
    },
  };

  let lang = "zh";
  let last = null; // {kind: "result"|"link"|"problem"|"network"|"pending", data}

  const $ = (id) => document.getElementById(id);
  const t = (k) => T[lang][k];
  const pick = (text) => (text && (text[lang] || text.en || text.zh)) || "";

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null) continue;
        if (k === "class") e.className = v;
        else if (k === "text") e.textContent = v;
        else e.setAttribute(k, v);
      }
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function setLang(l, remember) {
    lang = l === "en" ? "en" : "zh";
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    for (const node of document.querySelectorAll("[data-i18n]")) {
      const v = T[lang][node.dataset.i18n];
      if (typeof v === "string") node.textContent = v;
    }
    document.title = lang === "zh" ? "EduLedger 凭证验证" : "EduLedger Credential Verification";
    $("lang-zh").setAttribute("aria-pressed", String(lang === "zh"));
    $("lang-en").setAttribute("aria-pressed", String(lang === "en"));
    if (remember) {
      try { localStorage.setItem("eduledger.lang", lang); } catch (_) { /* private mode */ }
    }
    if (last) render();
  }

  function day(s) { return s ? String(s).slice(0, 10) : ""; }
  function when(s) { return s ? String(s).replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC") : ""; }

  // ---- requests ----

  async function send(url, init) {
    show({ kind: "pending" });
    let resp;
    try {
      resp = await fetch(url, Object.assign({ headers: { Accept: "application/json" } }, init));
    } catch (_) {
      show({ kind: "network" });
      return;
    }
    let body = null;
    try { body = await resp.json(); } catch (_) { /* not JSON */ }
    if (resp.ok && body) {
      show({ kind: url.startsWith("/v1/lookup") ? "link" : "result", data: body });
    } else {
      show({ kind: "problem", data: body || { detail: resp.status + " " + resp.statusText } });
    }
  }

  async function verifyFile(file) {
    if (!file) return;
    if (file.size <= 16384) {
      let text = "";
      try { text = await file.text(); } catch (_) { /* unreadable: let the service say so */ }
      if (consentOf(text)) { showConsent(text); return; }
    }
    const form = new FormData();
    form.append("file", file, file.name);
    send("/v1/verify", { method: "POST", body: form });
  }

  function verifyText(text) {
    if (consentOf(text)) { showConsent(text); return; }
    send("/v1/verify", { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: text });
  }

  function lookup(q) {
    send("/v1/lookup?q=" + encodeURIComponent(q.trim()));
  }

  // ---- rendering ----

  function show(state) {
    last = state;
    render();
    const v = $("verdict");
    if (state.kind !== "pending") v.focus({ preventScroll: false });
  }

  function render() {
    const box = $("result");
    const body = $("result-body");
    box.hidden = false;
    box.setAttribute("aria-busy", String(last.kind === "pending"));
    body.replaceChildren();
    switch (last.kind) {
      case "pending":
        verdict("pending", "…", t("checking"), t("checkingSub"));
        break;
      case "network":
        verdict("error", "!", t("error"), t("networkError"));
        break;
      case "problem":
        verdict("error", "!", t("error"), t("errorSub") + (last.data.detail || last.data.title || ""));
        break;
      case "result":
        renderResult(last.data, body);
        break;
      case "link":
        renderLink(last.data, body);
        break;
      case "consent":
        renderConsent(last.data, body);
        break;
    }
  }

  const marks = { verified: "✓", not_verified: "✕", unknown: "?" };

  function verdict(kind, mark, title, sub) {
    const v = $("verdict");
    v.dataset.verdict = kind;
    v.replaceChildren(el("span", { class: "mark", "aria-hidden": "true" }, mark),
      el("span", null, el("span", { class: "title", id: "verdict-title" }, title), el("span", { class: "sub" }, sub)));
  }

  function unreachable(checks) {
    return (checks || []).some((c) => c.status === "unknown" && /could not reach the ledger/.test(c.reason.en));
  }

  function verdictText(r) {
    if (r.verdict === "verified") return [t("verified"), t("verifiedSub")];
    if (r.verdict === "not_verified") return [t("notVerified"), t("notVerifiedSub")];
    const all = [r].concat(r.credentials || []);
    return [t("unknown"), all.some((x) => unreachable(x.checks)) ? t("unknownLedger") : t("unknownSub")];
  }

  function renderResult(r, body) {
    const [title, sub] = verdictText(r);
    verdict(r.verdict, marks[r.verdict], title, sub);
    if (r.kind === "presentation") {
      const card = el("section", { class: "card" }, el("h3", null, el("span", null, t("presentation")), badge(r.verdict)));
      if (r.holder) card.append(summary([[t("holder"), r.holder]]));
      card.append(checkList(r.checks));
      body.append(card);
      (r.credentials || []).forEach((c, i) => body.append(credentialCard(c, t("credentialOf").replace("{n}", i + 1))));
      return;
    }
    body.append(credentialCard(r));
  }

  function badge(v) {
    const text = { verified: t("verified"), not_verified: t("notVerified"), unknown: t("unknown") }[v] || v;
    return el("span", { class: "badge " + v }, text);
  }

  function issuerName(iss) {
    if (!iss) return "";
    if (iss.name) {
      const main = lang === "zh" ? iss.name.zh : iss.name.en;
      const other = lang === "zh" ? iss.name.en : iss.name.zh;
      const status = iss.status && iss.status !== "ACTIVE" ? " (" + (t("orgStatus")[iss.status] || iss.status) + ")" : "";
      return el("span", null, el("span", { class: "issuer-name" }, main), " · " + other + status);
    }
    const claimed = pick(iss.claimedName) || iss.id;
    if (iss.registered === false) return el("span", null, claimed + " — ", el("mark", { class: "bad" }, t("issuerUnknown")));
    return el("span", null, claimed + " — ", el("mark", { class: "warn" }, t("issuerUnchecked")));
  }

  function credentialCard(r, heading) {
    const c = r.credential || {};
    const title = pick(c.name) || pick(c.typeName) || t("credential");
    const card = el("section", { class: "card" }, el("h3", null, el("span", null, (heading ? heading + " · " : "") + title), badge(r.verdict)));
    const rows = [];
    if (c.typeName) rows.push([t("type"), pick(c.typeName)]);
    if (c.issuer) rows.push([t("issuer"), issuerName(c.issuer)]);
    if (c.learnerId) rows.push([t("learner"), c.learnerId]);
    if (c.validFrom) rows.push([t("validFrom"), day(c.validFrom)]);
    rows.push([t("validUntil"), c.validUntil ? day(c.validUntil) : t("noExpiry")]);
    if (c.ledger) {
      rows.push([t("ledgerStatus"), statusText(c.ledger)]);
      if (c.ledger.anchoredAt) rows.push([t("anchoredAt"), when(c.ledger.anchoredAt)]);
    }
    if (c.id) rows.push([t("credentialId"), c.id]);
    card.append(summary(rows), el("h4", { class: "sr-only" }, t("checks")), checkList(r.checks));
    card.append(fieldsTable(c.fields || []));
    return card;
  }

  function statusText(rec) {
    const s = t("status")[rec.status] || rec.status;
    const cls = rec.status === "ACTIVE" ? "ok" : "bad";
    const why = rec.statusReasonText ? " — " + pick(rec.statusReasonText) : "";
    return el("span", null, el("mark", { class: cls }, s), why);
  }

  function summary(rows) {
    const dl = el("dl", { class: "summary" });
    for (const [k, v] of rows) dl.append(el("dt", null, k), el("dd", null, v));
    return dl;
  }

  function checkList(checks) {
    const ul = el("ul", { class: "checks", "aria-label": t("checks") });
    const icons = { passed: "✓", failed: "✕", unknown: "?", skipped: "–" };
    for (const c of checks || []) {
      ul.append(el("li", { class: c.status, "data-check": c.name, "data-status": c.status },
        el("span", { class: "icon", "aria-hidden": "true" }, icons[c.status] || "?"),
        el("span", { class: "name" }, (t("checkNames")[c.name] || c.name),
          el("span", { class: "sr-only" }, ": " + (t("outcome")[c.status] || c.status))),
        el("span", { class: "why" }, pick(c.reason))));
    }
    return ul;
  }

  function fieldsTable(fields) {
    const wrap = el("div", null, el("h3", null, t("fields")));
    if (!fields.length) {
      wrap.append(el("p", { class: "claim-note" }, t("noFields")));
      return wrap;
    }
    const table = el("table", { class: "fields" });
    const tb = el("tbody");
    for (const f of fields) tb.append(el("tr", null, el("th", { scope: "row" }, pick(f.label)), el("td", null, pick(f.value))));
    table.append(tb);
    wrap.append(table, el("p", { class: "claim-note" }, t("fieldsNote")));
    return wrap;
  }

  function renderLink(r, body) {
    let title, sub;
    if (r.verdict === "verified") [title, sub] = [t("linkVerified"), t("linkVerifiedSub")];
    else if (r.verdict === "not_verified") [title, sub] = [t("linkNotVerified"), t("notVerifiedSub")];
    else [title, sub] = [t("unknown"), unreachable(r.checks) ? t("unknownLedger") : t("unknownSub")];
    verdict(r.verdict, marks[r.verdict], title, sub);
    const rec = r.credential || {};
    const card = el("section", { class: "card" }, el("h3", null, el("span", null, pick(r.typeName) || t("credential")), badge(r.verdict)));
    const rows = [[t("type"), pick(r.typeName)], [t("issuer"), issuerName(r.issuer)]];
    if (rec.learnerId) rows.push([t("learner"), rec.learnerId]);
    if (rec.issuedAt) rows.push([t("validFrom"), day(rec.issuedAt)]);
    rows.push([t("validUntil"), rec.validUntil ? day(rec.validUntil) : t("noExpiry")]);
    rows.push([t("ledgerStatus"), statusText(rec)]);
    if (rec.anchoredAt) rows.push([t("anchoredAt"), when(rec.anchoredAt)]);
    rows.push([t("credentialId"), rec.id]);
    card.append(summary(rows), checkList(r.checks));
    if (r.card) {
      card.append(el("h3", null, t("cardToken")), summary([
        [t("learner"), r.card.learnerId], [t("roles"), (r.card.roles || []).join(", ")],
        [t("validFrom"), day(r.card.validFrom)], [t("validUntil"), day(r.card.validUntil)],
      ]));
    }
    body.append(card);
  }


  // ---- a learner's consent: the archive and the credit statement ----

  // consentOf returns the consent a text holds (a JSON document of type EduLedgerConsent), or null.
  function consentOf(text) {
    if (!text || text.length > 16384) return null;
    try {
      const doc = JSON.parse(text);
      return doc && Array.isArray(doc.type) && doc.type.includes("EduLedgerConsent") ? doc : null;
    } catch (_) {
      return null;
    }
  }

  async function postConsent(path, text) {
    try {
      const resp = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" }, body: text });
      let body = null;
      try { body = await resp.json(); } catch (_) { /* not JSON */ }
      return resp.ok && body ? { ok: true, body } : { ok: false, status: resp.status, body: body || { detail: resp.status + " " + resp.statusText } };
    } catch (_) {
      return { ok: false, network: true };
    }
  }

  // showConsent asks for every scope the consent names; the service checks the consent each time.
  async function showConsent(text) {
    show({ kind: "pending" });
    const doc = consentOf(text);
    const scopes = (Array.isArray(doc.scope) ? doc.scope : []).filter((x) => x === "archive" || x === "statement");
    const data = { text, archive: null, statement: null };
    for (const scope of scopes.length ? scopes : ["archive"]) {
      data[scope] = await postConsent("/v1/" + scope, text);
      if (data[scope].network) { show({ kind: "network" }); return; }
    }
    show({ kind: "consent", data });
  }

  async function moreArchive() {
    const d = last && last.kind === "consent" ? last.data : null;
    if (!d || !d.archive || !d.archive.ok || !d.archive.body.nextPageToken) return;
    const next = await postConsent("/v1/archive?pageToken=" + encodeURIComponent(d.archive.body.nextPageToken), d.text);
    if (next.ok) {
      next.body.items = d.archive.body.items.concat(next.body.items);
      d.archive = next;
    } else {
      d.archive.more = next;
    }
    render();
  }

  function credits(n) {
    const neg = n < 0;
    const a = Math.abs(n);
    return (neg ? "-" : "") + Math.floor(a / 1000) + "." + String(a % 1000).padStart(3, "0");
  }

  function orgName(o) {
    if (!o) return "";
    if (!o.name) return o.id;
    return (lang === "zh" ? o.name.zh : o.name.en) + " (" + o.id + ")";
  }

  function problemText(r) {
    if (r.network) return t("networkError");
    return (r.body && (r.body.detail || r.body.title)) || String(r.status);
  }

  function renderConsent(d, body) {
    const shown = [d.archive, d.statement].find((r) => r && r.ok);
    if (!shown) {
      const r = d.archive || d.statement;
      const refused = r.status === 403;
      verdict("not_verified", marks.not_verified, refused ? t("consentRefused") : t("error"), (refused ? t("consentRefusedSub") : t("errorSub")) + problemText(r));
      return;
    }
    const c = shown.body.consent;
    const l = shown.body.learner;
    verdict("verified", marks.verified, t("consentShown"), t("consentShownSub").replace("{id}", c.learnerId).replace("{until}", when(c.validUntil)));
    const rows = [
      [t("learner"), l.id],
      [t("roles"), (l.roles || []).join(", ")],
      [t("registeredBy"), orgName(l.registeredBy)],
      [t("ledgerStatus"), el("mark", { class: l.status === "ACTIVE" ? "ok" : "bad" }, t("learnerStatus")[l.status] || l.status)],
      [t("consentScope"), c.scope.map((x) => t("scopes")[x] || x).join(lang === "zh" ? "、" : ", ")],
      [t("validUntil"), when(c.validUntil)],
      [t("signedAt"), when(c.signed)],
    ];
    if (c.purpose) rows.push([t("purpose"), c.purpose]);
    body.append(el("section", { class: "card", id: "consent-card" }, el("h3", null, el("span", null, t("consent"))), summary(rows)));
    if (d.archive) body.append(archiveCard(d.archive));
    if (d.statement) body.append(statementCard(d.statement));
  }

  function archiveCard(r) {
    const card = el("section", { class: "card", id: "archive-card" }, el("h3", null, el("span", null, t("archive"))));
    if (!r.ok) {
      card.append(el("p", { class: "problem" }, problemText(r)));
      return card;
    }
    const items = r.body.items || [];
    if (!items.length) {
      card.append(el("p", { class: "claim-note" }, t("archiveEmpty")));
      return card;
    }
    const table = el("table", { class: "fields archive" });
    table.append(el("thead", null, el("tr", null, ...[t("date"), t("item"), t("issuer"), t("level"), t("ledgerStatus")].map((h) => el("th", { scope: "col" }, h)))));
    const tb = el("tbody");
    for (const it of items) {
      let what, level = "";
      if (it.record) {
        const rec = it.record;
        what = el("span", null, el("span", { class: "issuer-name" }, lang === "zh" ? rec.title.zh : rec.title.en),
          " · " + (t("kinds")[rec.kind] || rec.kind) + (rec.code ? " " + rec.code : "") + (rec.hours ? " · " + rec.hours + (lang === "zh" ? " 学时" : " hours") : ""));
        level = rec.field + " · " + rec.level;
      } else {
        what = el("span", { class: "issuer-name" }, it.credential.type);
      }
      const st = el("mark", { class: it.status === "ACTIVE" ? "ok" : "bad" }, t("recordStatus")[it.status] || it.status);
      tb.append(el("tr", { "data-kind": it.kind, "data-status": it.status }, el("td", null, day(it.at)), el("td", null, what),
        el("td", null, orgName(it.issuer)), el("td", null, level), el("td", null, st)));
    }
    table.append(tb);
    card.append(table, el("p", { class: "claim-note" }, t("archiveNote")));
    if (r.more) card.append(el("p", { class: "problem" }, problemText(r.more)));
    if (r.body.nextPageToken) {
      const b = el("button", { type: "button", class: "primary more", id: "archive-more" }, t("more"));
      b.addEventListener("click", moreArchive);
      card.append(el("p", { class: "claim-note" }, b));
    }
    return card;
  }

  function statementCard(r) {
    const card = el("section", { class: "card", id: "statement-card" }, el("h3", null, el("span", null, t("statement"))));
    if (!r.ok) {
      card.append(el("p", { class: "problem" }, problemText(r)));
      return card;
    }
    const st = r.body.statement;
    const cols = ["deposited", "recognized", "transferredOut", "redeemed", "balance", "blocked"];
    const table = el("table", { class: "fields statement" });
    table.append(el("thead", null, el("tr", null, el("th", { scope: "col" }, t("field")), el("th", { scope: "col" }, t("level")),
      ...cols.map((k) => el("th", { scope: "col", class: "num" }, t(k))))));
    const tb = el("tbody");
    const row = (field, level, b, cls) => el("tr", { class: cls || null }, el("td", null, field), el("td", null, level),
      ...cols.map((k) => el("td", { class: "num", "data-col": k }, credits(b[k] || 0))));
    for (const b of st.balances || []) tb.append(row(b.field, String(b.level), b));
    tb.append(row(t("total"), "", st.total, "total"));
    table.append(tb);
    card.append(el("div", { class: "table-scroll" }, table), el("p", { class: "claim-note" }, t("statementNote")));
    return card;
  }

  // ---- wiring ----

  function init() {
    let initial = document.documentElement.lang.startsWith("en") ? "en" : "zh";
    try { initial = localStorage.getItem("eduledger.lang") || initial; } catch (_) { /* private mode */ }
    setLang(initial, false);
    $("lang-zh").addEventListener("click", () => setLang("zh", true));
    $("lang-en").addEventListener("click", () => setLang("en", true));

    const input = $("file-input");
    input.addEventListener("change", () => { verifyFile(input.files[0]); input.value = ""; });
    const drop = $("drop");
    drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      if (e.dataTransfer && e.dataTransfer.files.length) verifyFile(e.dataTransfer.files[0]);
    });
    // Dropping anywhere else must not navigate away from the page.
    window.addEventListener("dragover", (e) => e.preventDefault());
    window.addEventListener("drop", (e) => e.preventDefault());

    $("paste-verify").addEventListener("click", () => {
      const text = $("paste").value.trim();
      if (!text) { show({ kind: "problem", data: { detail: t("emptyPaste") } }); return; }
      verifyText(text);
    });
    $("link-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const q = $("link-input").value;
      if (!q.trim()) { show({ kind: "problem", data: { detail: t("emptyLink") } }); return; }
      lookup(q);
    });

    // Opened from a QR code: /v?id=…&d=… (and maybe card=…).
    if (location.pathname === "/v" && location.search.length > 1) {
      $("link-input").value = location.href;
      send("/v1/lookup" + location.search);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
