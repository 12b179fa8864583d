"use strict";
// The console: a client of the gateway's public API, in the browser. The signed-in key lives in sessionStorage
// (this tab only) and goes only into Authorization headers to this origin.
(() => {
  const $ = (id) => document.getElementById(id);
  const state = {
    key: sessionStorage.getItem("sb.key") || "",
    lang: localStorage.getItem("sb.lang") || ((navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en"),
    role: "none",          // open | project | admin | none
    messages: [],          // the conversation: {role, content}
    conversation: 0,       // bumped by Clear: a stream of an older conversation is dropped
    controller: null,      // the answer being streamed, to stop it
  };

  // ---- words ----
  const t = (key, values) => {
    let text = (I18N[state.lang] && I18N[state.lang][key]) || I18N.en[key] || key;
    for (const [name, value] of Object.entries(values || {})) text = text.replaceAll("{" + name + "}", String(value));
    return text;
  };
  function applyLanguage() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    $("language").value = state.lang;
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
    for (const el of document.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
    renderWho();
    for (const stats of document.querySelectorAll(".stats[data-stats]")) stats.textContent = t("stats", JSON.parse(stats.dataset.stats));
  }

  // ---- the API ----
  function headers(json) {
    const h = {};
    if (state.key) h.Authorization = "Bearer " + state.key;
    if (json) h["Content-Type"] = "application/json";
    return h;
  }
  async function api(path, options = {}) {
    const response = await fetch(path, { ...options, headers: headers(options.body !== undefined) });
    const text = await response.text();
    const body = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const error = new Error((body && body.error && body.error.message) || response.statusText);
      error.status = response.status;
      throw error;
    }
    return body;
  }
  const post = (path, body) => api(path, { method: "POST", body: JSON.stringify(body) });

  // ---- who is signed in ----
  async function detectRole() {
    try {
      await api("/v1/organization/projects?limit=1");
      state.role = state.key ? "admin" : "open";
    } catch (e) {
      if (e.status === 401 && !state.key) { state.role = "none"; return; }
      try { await api("/v1/models"); state.role = "project"; } catch { state.role = "none"; }
    }
  }
  function renderWho() {
    const who = $("who");
    who.textContent = state.role === "admin" ? t("adminView") : state.role === "open" ? t("openMode") : state.role === "project" ? t("projectView", { id: "" }).trim() : "";
    $("sign").textContent = state.key ? t("signOut") : t("signIn");
  }
  function openSignIn() {
    $("sign-in-error").hidden = true;
    $("sign-in-key").value = "";
    $("sign-in-dialog").showModal();
    $("sign-in-key").focus();
  }
  $("sign").addEventListener("click", async () => {
    if (state.key) {
      state.key = "";
      sessionStorage.removeItem("sb.key");
      hideSecret();
      await start();
    } else openSignIn();
  });
  $("sign-in-cancel").addEventListener("click", () => $("sign-in-dialog").close());
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const previous = state.key;
    state.key = $("sign-in-key").value.trim();
    await detectRole();
    if (state.role === "none" || state.role === "open") {
      state.key = previous;
      $("sign-in-error").textContent = t("keyRefused");
      $("sign-in-error").hidden = false;
      return;
    }
    sessionStorage.setItem("sb.key", state.key);
    $("sign-in-key").value = "";
    $("sign-in-dialog").close();
    await start();
  });

  // ---- pages ----
  function route() {
    const page = (location.hash.replace(/^#\//, "") || "playground").split("?")[0];
    const known = ["playground", "keys", "usage"].includes(page) ? page : "playground";
    for (const section of document.querySelectorAll(".page")) section.hidden = section.id !== "page-" + known;
    for (const link of document.querySelectorAll("#nav a")) {
      if (link.dataset.page === known) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
    }
    if (known === "keys") loadKeysPage();
    if (known === "usage") loadUsagePage();
  }
  window.addEventListener("hashchange", route);

  function toast(text) {
    const el = $("toast");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { el.hidden = true; }, 4000);
  }

  // ---- Playground ----
  async function loadModels() {
    const select = $("model");
    const previous = select.value || localStorage.getItem("sb.model");
    select.replaceChildren();
    try {
      const list = await api("/v1/models");
      for (const model of list.data) {
        const option = document.createElement("option");
        option.value = option.textContent = model.id;
        select.appendChild(option);
      }
      if (previous && [...select.options].some((o) => o.value === previous)) select.value = previous;
    } catch (e) {
      const option = document.createElement("option");
      option.textContent = t("noModels");
      option.value = "";
      select.appendChild(option);
    }
  }
  $("model").addEventListener("change", () => localStorage.setItem("sb.model", $("model").value));
  for (const [input, output] of [["temperature", "temperature-value"], ["top-p", "top-p-value"]])
    $(input).addEventListener("input", () => { $(output).textContent = $(input).value; });

  // The request as the Playground sends it (View code shows the same parameters, without streaming).
  function buildRequest(stream) {
    const messages = [];
    const system = $("system").value.trim();
    if (system) messages.push({ role: "system", content: system });
    messages.push(...state.messages.map((m) => ({ role: m.role, content: m.content })));
    const request = { model: $("model").value, messages };
    const temperature = Number($("temperature").value);
    if (temperature !== 1) request.temperature = temperature;
    const topP = Number($("top-p").value);
    if (topP !== 1) request.top_p = topP;
    if ($("max-tokens").value) request.max_tokens = Number($("max-tokens").value);
    const presence = Number($("presence").value);
    if (presence) request.presence_penalty = presence;
    const frequency = Number($("frequency").value);
    if (frequency) request.frequency_penalty = frequency;
    const stop = $("stop").value.split(",").map((s) => s.trim()).filter(Boolean);
    if (stop.length) request.stop = stop.slice(0, 4);
    if ($("seed").value !== "") request.seed = Number($("seed").value);
    if ($("json-mode").checked) request.response_format = { type: "json_object" };
    if (stream) { request.stream = true; request.stream_options = { include_usage: true }; }
    return request;
  }

  function addMessage(role, content) {
    const article = document.createElement("article");
    article.className = "message " + role;
    const who = document.createElement("div");
    who.className = "who-label";
    who.textContent = role === "user" ? t("you") : t("assistant");
    const body = document.createElement("div");
    body.className = "body";
    if (role === "user") body.textContent = content; else renderMarkdown(content, body);
    article.append(who, body);
    $("messages").appendChild(article);
    article.scrollIntoView({ block: "end" });
    return { article, body };
  }

  async function send(text) {
    const conversation = state.conversation;
    state.messages.push({ role: "user", content: text });
    addMessage("user", text);
    const request = buildRequest(true);
    const { article, body } = addMessage("assistant", "");
    article.classList.add("streaming");
    const controller = new AbortController();
    state.controller = controller;
    const focusWasOnSend = document.activeElement === $("send");
    $("send").hidden = true;
    $("stop-button").hidden = false;
    if (focusWasOnSend) $("stop-button").focus();
    // Screen readers hear the answer once, when it is complete, not every piece.
    $("messages").setAttribute("aria-busy", "true");
    const started = performance.now();
    let firstToken = 0;
    let answer = "";
    let usage = null;
    let drawn = 0;
    const draw = () => { if (drawn !== answer.length) { drawn = answer.length; renderMarkdown(answer, body); article.scrollIntoView({ block: "end" }); } };
    try {
      const response = await fetch("/v1/chat/completions", { method: "POST", headers: headers(true), body: JSON.stringify(request), signal: controller.signal });
      if (!response.ok) {
        const error = await response.json().catch(() => null);
        throw new Error((error && error.error && error.error.message) || response.statusText);
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      // Server-sent events as the standard reads them: any line ending, an event ends at a blank line, its data
      // lines joined with newlines; what is left when the stream ends is a last event.
      let buffer = "";
      const dispatch = (event) => {
        const data = event.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(line.startsWith("data: ") ? 6 : 5)).join("\n");
        if (!data || data === "[DONE]") return;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message);
        if (chunk.usage) usage = chunk.usage;
        const delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
        if (delta && delta.content) {
          if (!firstToken) firstToken = performance.now();
          answer += delta.content;
        }
      };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer = (buffer + value).replace(/\r\n?/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          dispatch(event);
        }
        if (conversation !== state.conversation) break;
        draw();
      }
      if (buffer.trim()) dispatch(buffer);
    } catch (e) {
      // A broken or refused stream is not read further: stop the request so the model stops too.
      if (e.name !== "AbortError") controller.abort();
      if (e.name === "AbortError") {
        const note = document.createElement("div");
        note.className = "note";
        note.textContent = t("stopped");
        article.appendChild(note);
      } else {
        const note = document.createElement("div");
        note.className = "error";
        note.textContent = t("errorPrefix") + ": " + e.message;
        article.appendChild(note);
      }
    } finally {
      draw();
      article.classList.remove("streaming");
      state.controller = null;
      const focusWasOnStop = document.activeElement === $("stop-button");
      $("send").hidden = false;
      $("stop-button").hidden = true;
      $("messages").removeAttribute("aria-busy");
      if (focusWasOnStop) $("prompt").focus();
      if (conversation === state.conversation) {
        if (answer) state.messages.push({ role: "assistant", content: answer });
        else state.messages.pop();
      }
      if (usage) {
        const values = {
          prompt: usage.prompt_tokens, completion: usage.completion_tokens,
          latency: Math.round(performance.now() - started), ttft: firstToken ? Math.round(firstToken - started) : "—",
        };
        const stats = document.createElement("div");
        stats.className = "stats";
        stats.dataset.stats = JSON.stringify(values);
        stats.textContent = t("stats", values);
        article.appendChild(stats);
      }
    }
  }

  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("prompt").value.trim();
    if (!text || state.controller || !$("model").value) return;
    $("prompt").value = "";
    send(text);
  });
  $("prompt").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("stop-button").addEventListener("click", () => state.controller && state.controller.abort());
  $("clear").addEventListener("click", () => {
    if (state.controller) state.controller.abort();
    state.conversation++;
    state.messages = [];
    $("messages").replaceChildren();
  });

  // ---- View code ----
  function code(lang) {
    const base = location.origin + "/v1";
    const request = buildRequest(false);
    // Without a turn yet, the code still asks something, so it runs as shown.
    if (!request.messages.some((m) => m.role !== "system")) request.messages.push({ role: "user", content: "Hello" });
    const json = JSON.stringify(request, null, 2);
    const indent = (text, by) => text.split("\n").map((l, i) => (i ? by + l : l)).join("\n");
    switch (lang) {
      case "python":
        return `import os\nfrom openai import OpenAI\n\nclient = OpenAI(base_url="${base}", api_key=os.environ["SWITCHBOARD_API_KEY"])\n\n` +
          `completion = client.chat.completions.create(**${python(request, "")})\nprint(completion.choices[0].message.content)\n`;
      case "node":
        return `import OpenAI from "openai";\n\nconst client = new OpenAI({ baseURL: "${base}", apiKey: process.env.SWITCHBOARD_API_KEY });\n\n` +
          `const completion = await client.chat.completions.create(${json});\nconsole.log(completion.choices[0].message.content);\n`;
      case "csharp":
        return `using System.ClientModel;\nusing OpenAI;\nusing OpenAI.Chat;\n\n` +
          `var client = new OpenAIClient(new ApiKeyCredential(Environment.GetEnvironmentVariable("SWITCHBOARD_API_KEY")),\n    new OpenAIClientOptions { Endpoint = new Uri("${base}") });\n` +
          `var chat = client.GetChatClient(${JSON.stringify(request.model)});\n` +
          `List<ChatMessage> messages =\n[\n${request.messages.map((m) => `    new ${({ system: "SystemChatMessage", user: "UserChatMessage", assistant: "AssistantChatMessage" })[m.role] || "UserChatMessage"}(${JSON.stringify(m.content)}),`).join("\n")}\n];\n` +
          `var options = new ChatCompletionOptions\n{\n${[
            request.temperature !== undefined ? `    Temperature = ${request.temperature}f,` : null,
            request.top_p !== undefined ? `    TopP = ${request.top_p}f,` : null,
            request.max_tokens !== undefined ? `    MaxOutputTokenCount = ${request.max_tokens},` : null,
            request.presence_penalty !== undefined ? `    PresencePenalty = ${request.presence_penalty}f,` : null,
            request.frequency_penalty !== undefined ? `    FrequencyPenalty = ${request.frequency_penalty}f,` : null,
            request.response_format ? `    ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat(),` : null,
            request.seed !== undefined ? `    Seed = ${request.seed}, // evaluation API in the SDK: #pragma warning disable OPENAI001` : null,
          ].filter(Boolean).join("\n")}\n};\n` +
          (request.stop ? request.stop.map((s) => `options.StopSequences.Add(${JSON.stringify(s)});\n`).join("") : "") +
          `ChatCompletion completion = await chat.CompleteChatAsync(messages, options);\nConsole.WriteLine(completion.Content[0].Text);\n`;
      default:
        return `curl ${base}/chat/completions \\\n  -H "Authorization: Bearer $SWITCHBOARD_API_KEY" \\\n  -H "Content-Type: application/json" \\\n  -d '${json.replace(/'/g, "'\\''")}'\n`;
    }
  }
  // A value as Python source: JSON strings are valid Python strings; true, false and null are spelled the Python way.
  function python(value, indent) {
    const inner = indent + "    ";
    if (value === null) return "None";
    if (value === true) return "True";
    if (value === false) return "False";
    if (typeof value === "number" || typeof value === "string") return JSON.stringify(value);
    if (Array.isArray(value)) return value.length ? "[\n" + value.map((v) => inner + python(v, inner)).join(",\n") + ",\n" + indent + "]" : "[]";
    const entries = Object.entries(value);
    return entries.length ? "{\n" + entries.map(([k, v]) => inner + JSON.stringify(k) + ": " + python(v, inner)).join(",\n") + ",\n" + indent + "}" : "{}";
  }

  function showCode(lang) {
    for (const tab of document.querySelectorAll("#code-dialog [role=tab]")) tab.setAttribute("aria-selected", String(tab.dataset.lang === lang));
    $("code-text").textContent = code(lang);
    $("code-text").dataset.lang = lang;
  }
  $("view-code").addEventListener("click", () => { showCode("curl"); $("code-dialog").showModal(); });
  for (const tab of document.querySelectorAll("#code-dialog [role=tab]")) tab.addEventListener("click", () => showCode(tab.dataset.lang));
  $("code-close").addEventListener("click", () => $("code-dialog").close());
  $("copy-code").addEventListener("click", async () => { await copy($("code-text").textContent); });
  // The clipboard API exists only on secure origins (https, localhost); elsewhere a selected, off-screen text area
  // is copied the old way. The copied text itself is never shown or announced.
  async function copy(text) {
    try {
      if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(text);
      else {
        const area = document.createElement("textarea");
        area.value = text;
        area.className = "visually-hidden";
        document.body.appendChild(area);
        area.select();
        const done = document.execCommand("copy");
        area.remove();
        if (!done) throw new Error("copy");
      }
      toast(t("copied"));
    } catch {
      toast(t("copyFailed"));
    }
  }
  function hideSecret() {
    $("secret-value").textContent = "";
    $("new-secret").hidden = true;
  }

  // ---- API keys ----
  const date = (unix) => (unix ? new Date(unix * 1000).toISOString().slice(0, 16).replace("T", " ") : t("never"));
  async function fillProjects(select) {
    const previous = select.value;
    const projects = await api("/v1/organization/projects?limit=100");
    select.replaceChildren();
    for (const project of projects.data) {
      const option = document.createElement("option");
      option.value = project.id;
      option.textContent = project.name + " (" + project.id + ")";
      select.appendChild(option);
    }
    if (previous) select.value = previous;
  }
  let keysLoad = 0;
  async function loadKeysPage() {
    const load = ++keysLoad;
    const body = $("keys-table").querySelector("tbody");
    if (state.role !== "admin" && state.role !== "open") {
      body.replaceChildren(row([t("needsAdmin")]));
      return;
    }
    try {
      if (!$("keys-project").options.length) await fillProjects($("keys-project"));
      const project = $("keys-project").value;
      const keys = await api(`/v1/organization/projects/${encodeURIComponent(project)}/api_keys?limit=100`);
      // A newer load (another project chosen meanwhile) owns the page now.
      if (load !== keysLoad) return;
      body.replaceChildren();
      for (const key of keys.data) {
        const name = (key.owner && key.owner.service_account && key.owner.service_account.name) || key.name;
        const limits = key.limits ? Object.entries(key.limits).filter(([, v]) => v !== null).map(([k, v]) => k + "=" + v).join(", ") : t("none");
        const revoke = document.createElement("button");
        revoke.type = "button";
        revoke.className = "danger small";
        revoke.textContent = t("revoke");
        revoke.setAttribute("aria-label", t("revoke") + " " + name);
        revoke.addEventListener("click", async () => {
          if (!confirm(t("confirmRevoke", { name }))) return;
          await api(`/v1/organization/projects/${encodeURIComponent(project)}/api_keys/${encodeURIComponent(key.id)}`, { method: "DELETE" });
          toast(t("revoked", { name }));
          loadKeysPage();
        });
        const edit = document.createElement("button");
        edit.type = "button";
        edit.className = "ghost small";
        edit.textContent = t("editLimits");
        edit.setAttribute("aria-label", t("editLimits") + " " + name);
        edit.addEventListener("click", () => openKeyLimits(project, key, name));
        const tr = row([name, key.redacted_value, date(key.created_at), date(key.last_used_at), limits]);
        tr.dataset.keyId = key.id;
        const cell = document.createElement("td");
        cell.className = "actions";
        cell.append(edit, revoke);
        tr.appendChild(cell);
        body.appendChild(tr);
      }
      await loadProjectLimits(project, load);
    } catch (e) {
      body.replaceChildren(row([t("errorPrefix") + ": " + e.message]));
    }
  }
  function row(cells) {
    const tr = document.createElement("tr");
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    return tr;
  }
  $("keys-project").addEventListener("change", () => { hideSecret(); loadKeysPage(); });
  $("new-project").addEventListener("click", async () => {
    const name = (prompt(t("projectName")) || "").trim();
    if (!name) return;
    try {
      const project = await post("/v1/organization/projects", { name });
      await fillProjects($("keys-project"));
      $("keys-project").value = project.id;
      $("usage-project").replaceChildren();
      loadKeysPage();
    } catch (e) { toast(t("errorPrefix") + ": " + e.message); }
  });
  $("create-key").addEventListener("submit", async (event) => {
    event.preventDefault();
    // A key made before the project list arrived would have no project to go to.
    if (!$("keys-project").value) await loadKeysPage();
    const project = $("keys-project").value;
    try {
      const account = await post(`/v1/organization/projects/${encodeURIComponent(project)}/service_accounts`, { name: $("key-name").value.trim() });
      $("secret-value").textContent = account.api_key.value;
      $("new-secret").hidden = false;
      $("key-name").value = "";
      loadKeysPage();
    } catch (e) {
      toast(t("errorPrefix") + ": " + e.message);
    }
  });
  $("copy-secret").addEventListener("click", () => copy($("secret-value").textContent));

  // ---- limits: the project's spend limit, credit grants and rate limits; a key's own limits ----
  // The project whose limits the forms show (set when they were drawn): saving writes there, not to whatever
  // the picker says by then.
  let shownProject = "";
  const projectPath = () => `/v1/organization/projects/${encodeURIComponent(shownProject)}`;
  async function loadProjectLimits(project, load = ++keysLoad) {
    const base = `/v1/organization/projects/${encodeURIComponent(project)}`;
    // What someone typed while this loaded is theirs: the stored value replaces only an untouched field.
    const before = $("spend-amount").value;
    const show = (value) => { if ($("spend-amount").value === before) $("spend-amount").value = value; };
    const [spendResult, grants, limits] = await Promise.all([
      api(base + "/spend_limit").then((v) => ({ v }), (e) => ({ e })), api(base + "/credit_grants"), api(base + "/rate_limits?limit=100")]);
    if (load !== keysLoad) return;
    shownProject = project;
    try {
      if (spendResult.e) throw spendResult.e;
      const spend = spendResult.v;
      show((spend.threshold_amount / 100).toFixed(2));
      $("spend-state").textContent = t("spentOf", { state: t("enforcement." + spend.enforcement.status) });
    } catch (e) {
      if (e.status !== 404) throw e;
      show("");
      $("spend-state").textContent = t("noSpendLimit");
    }
    $("grant-list").replaceChildren(...grants.data.map((g) => {
      const li = document.createElement("li");
      const chip = document.createElement("span");
      chip.className = "chip " + g.status;
      chip.textContent = t("status." + g.status);
      li.append(document.createTextNode(`$${g.amount.toFixed(2)} · ${t("used")} $${g.used_amount.toFixed(2)} · ${t("expires")} ${g.expires_at ? date(g.expires_at) : t("never")}`), chip);
      return li;
    }));
    $("rate-table").querySelector("tbody").replaceChildren(...limits.data.map((limit) => {
      const tr = document.createElement("tr");
      tr.dataset.model = limit.model;
      const name = document.createElement("td");
      name.textContent = limit.model;
      tr.appendChild(name);
      for (const field of ["max_requests_per_1_minute", "max_tokens_per_1_minute", "max_requests_per_1_day"]) {
        const td = document.createElement("td");
        const input = document.createElement("input");
        input.type = "number";
        input.min = "0";
        input.name = field;
        input.value = limit[field] || "";
        input.placeholder = "—";
        input.setAttribute("aria-label", limit.model + " " + t("field." + field));
        td.appendChild(input);
        tr.appendChild(td);
      }
      const save = document.createElement("button");
      save.type = "button";
      save.className = "small";
      save.textContent = t("save");
      save.addEventListener("click", () => saveRateLimit(limit.model, tr));
      const td = document.createElement("td");
      td.appendChild(save);
      tr.appendChild(td);
      return tr;
    }));
  }
  async function saveRateLimit(model, tr) {
    const body = {};
    for (const input of tr.querySelectorAll("input")) body[input.name] = Number(input.value) || 0;
    try {
      await post(`${projectPath()}/rate_limits/rl-${encodeURIComponent(model)}`, body);
      toast(t("saved"));
    } catch (e) { toast(t("errorPrefix") + ": " + e.message); }
  }
  $("spend-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await post(projectPath() + "/spend_limit", { threshold_amount: Math.round(Number($("spend-amount").value) * 100), currency: "USD", interval: "month" });
      toast(t("saved"));
      loadProjectLimits(shownProject);
    } catch (e) { toast(t("errorPrefix") + ": " + e.message); }
  });
  $("spend-remove").addEventListener("click", async () => {
    try {
      await api(projectPath() + "/spend_limit", { method: "DELETE" });
      loadProjectLimits(shownProject);
    } catch (e) { toast(t("errorPrefix") + ": " + e.message); }
  });
  $("grant-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const now = Math.floor(Date.now() / 1000);
    const days = Number($("grant-days").value);
    try {
      await post(projectPath() + "/credit_grants", { amount: Number($("grant-amount").value), effective_at: now, expires_at: days ? now + days * 86400 : null });
      $("grant-amount").value = "";
      $("grant-days").value = "";
      loadProjectLimits(shownProject);
    } catch (e) { toast(t("errorPrefix") + ": " + e.message); }
  });
  $("rate-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const model = $("rate-model").value.trim();
    if (!model) return;
    try {
      await post(`${projectPath()}/rate_limits/rl-${encodeURIComponent(model)}`, { max_requests_per_1_minute: 0 });
      $("rate-model").value = "";
      loadProjectLimits(shownProject);
    } catch (e) { toast(t("errorPrefix") + ": " + e.message); }
  });
  let editing = null;
  function openKeyLimits(project, key, name) {
    editing = { project, key };
    const limits = key.limits || {};
    $("key-limits-name").textContent = name + " · " + key.redacted_value;
    $("kl-rpm").value = limits.max_requests_per_1_minute || "";
    $("kl-tpm").value = limits.max_tokens_per_1_minute || "";
    $("kl-concurrent").value = limits.max_concurrent_requests || "";
    $("kl-budget").value = limits.budget_usd || "";
    $("kl-interval").value = limits.budget_interval || "month";
    $("kl-moderate").checked = !!limits.moderate_input;
    $("key-limits-error").hidden = true;
    $("key-limits-dialog").showModal();
  }
  $("key-limits-cancel").addEventListener("click", () => $("key-limits-dialog").close());
  $("key-limits-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const number = (id) => ($(id).value === "" ? null : Number($(id).value));
    const limits = {
      max_requests_per_1_minute: number("kl-rpm"), max_tokens_per_1_minute: number("kl-tpm"), max_concurrent_requests: number("kl-concurrent"),
      budget_usd: number("kl-budget"), moderate_input: $("kl-moderate").checked || null,
    };
    if (limits.budget_usd !== null) limits.budget_interval = $("kl-interval").value;
    try {
      await post(`/v1/organization/projects/${encodeURIComponent(editing.project)}/api_keys/${encodeURIComponent(editing.key.id)}`, { limits });
      $("key-limits-dialog").close();
      loadKeysPage();
    } catch (e) {
      $("key-limits-error").textContent = e.message;
      $("key-limits-error").hidden = false;
    }
  });

  // ---- Usage ----
  const palette = ["#4f7cff", "#22b07d", "#f2a93b", "#e5484d", "#8e6cef", "#12a6c8", "#d16ba5", "#7a8599"];
  let usageLoad = 0;
  async function loadUsagePage() {
    const load = ++usageLoad;
    const current = () => load === usageLoad;
    try {
      if (state.role === "none") {
        for (const id of ["total-spend", "total-tokens", "balance"]) $(id).textContent = "—";
        for (const id of ["cost-chart", "token-chart"]) $(id).replaceChildren();
        for (const id of ["usage-table", "grants-table"]) $(id).querySelector("tbody").replaceChildren();
        return;
      }
      const admin = state.role === "admin" || state.role === "open";
      for (const id of ["usage-project", "usage-key"]) {
        $(id).hidden = !admin;
        document.querySelector(`label[for=${id}]`).hidden = !admin;
      }
      if (admin && !$("usage-project").options.length) {
        await fillProjects($("usage-project"));
        const all = document.createElement("option");
        all.value = "";
        all.textContent = t("allProjects");
        all.dataset.i18n = "allProjects";
        $("usage-project").prepend(all);
        $("usage-project").value = "";
      }
      const days = Number($("usage-range").value);
      const today = Math.floor(Date.now() / 86400000) * 86400;
      const start = today - (days - 1) * 86400;
      const project = $("usage-project").value;
      const key = $("usage-key").value;
      const filter = (project ? `&project_ids=${encodeURIComponent(project)}` : "") + (key ? `&api_key_ids=${encodeURIComponent(key)}` : "");
      const grants = await api("/v1/dashboard/billing/credit_grants").catch(() => null);
      if (!current()) return;
      renderGrants(grants);
      const usageBody = $("usage-table").querySelector("tbody");
      if (!admin) {
        // A project key reads its own project's spend per day and model from the dashboard endpoint (in cents).
        const iso = (unix) => new Date(unix * 1000).toISOString().slice(0, 10);
        const usage = await api(`/v1/dashboard/billing/usage?start_date=${iso(start)}&end_date=${iso(today + 86400)}`);
        if (!current()) return;
        const series = usage.daily_costs.map((d) => ({ day: d.timestamp, parts: d.line_items.map((i) => [i.name, i.cost / 100]) }));
        const total = usage.total_usage / 100;
        $("total-spend").textContent = "$" + total.toFixed(6).replace(/0{1,4}$/, "");
        $("total-spend").dataset.value = String(total);
        $("total-tokens").textContent = "—";
        renderChart($("cost-chart"), series, days, start, (v) => "$" + v.toFixed(4));
        renderChart($("token-chart"), [], days, start, String);
        usageBody.replaceChildren(row([t("noData")]));
        return;
      }
      const [costs, tokens, byKey] = await Promise.all([
        api(`/v1/organization/costs?start_time=${start}&bucket_width=1d&limit=${days}&group_by=line_item${filter}`),
        api(`/v1/organization/usage/completions?start_time=${start}&bucket_width=1d&limit=${days}&group_by=model${filter}`),
        api(`/v1/organization/costs?start_time=${start}&bucket_width=1d&limit=${days}&group_by=api_key_id&group_by=line_item${filter}`)]);
      if (!current()) return;
      const costSeries = costs.data.map((b) => ({ day: b.start_time, parts: b.results.map((r) => [r.line_item || "-", r.amount.value]) }));
      const tokenSeries = tokens.data.map((b) => ({ day: b.start_time, parts: b.results.map((r) => [r.model || "-", r.input_tokens + r.output_tokens]) }));
      const total = costSeries.reduce((s, d) => s + d.parts.reduce((a, [, v]) => a + v, 0), 0);
      const totalTokens = tokenSeries.reduce((s, d) => s + d.parts.reduce((a, [, v]) => a + v, 0), 0);
      $("total-spend").textContent = "$" + total.toFixed(6).replace(/0{1,4}$/, "");
      $("total-spend").dataset.value = String(total);
      $("total-tokens").textContent = totalTokens.toLocaleString(state.lang === "zh" ? "zh-CN" : "en-US");
      renderChart($("cost-chart"), costSeries, days, start, (v) => "$" + v.toFixed(4));
      renderChart($("token-chart"), tokenSeries, days, start, (v) => String(v));
      const sums = new Map();
      for (const bucket of byKey.data) for (const r of bucket.results) {
        const k = (r.api_key_id || "-") + "\u0000" + (r.line_item || "-");
        sums.set(k, (sums.get(k) || 0) + r.amount.value);
      }
      // The key filter offers the keys that spent in this range (the project's, when one is chosen).
      if (!key) {
        const select = $("usage-key");
        const keys = [...new Set([...sums.keys()].map((k) => k.split("\u0000")[0]).filter((k) => k !== "-"))];
        select.replaceChildren(select.options[0], ...keys.map((k) => { const o = document.createElement("option"); o.value = o.textContent = k; return o; }));
      }
      const body = usageBody;
      body.replaceChildren(...[...sums.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => row([...k.split("\u0000"), "$" + v.toFixed(6)])));
      if (!sums.size) body.replaceChildren(row([t("noData")]));
    } catch (e) {
      toast(t("errorPrefix") + ": " + e.message);
    }
  }
  function renderGrants(summary) {
    const body = $("grants-table").querySelector("tbody");
    body.replaceChildren();
    if (!summary) { $("balance").textContent = "—"; return; }
    $("balance").textContent = "$" + summary.total_available.toFixed(2);
    for (const grant of summary.grants.data) {
      const tr = row([grant.id, "$" + grant.grant_amount.toFixed(2), "$" + grant.used_amount.toFixed(2), "", grant.expires_at ? date(grant.expires_at) : t("never")]);
      const chip = document.createElement("span");
      chip.className = "chip " + grant.status;
      chip.textContent = t("status." + grant.status);
      tr.children[3].appendChild(chip);
      body.appendChild(tr);
    }
  }
  // A stacked bar per day, one colour per series, drawn as SVG (no library); a legend under it.
  function renderChart(container, series, days, start, format) {
    const ns = "http://www.w3.org/2000/svg";
    const names = [...new Set(series.flatMap((d) => d.parts.map(([n]) => n)))];
    const byDay = new Map(series.map((d) => [d.day, d.parts]));
    const totals = [];
    for (let i = 0; i < days; i++) totals.push((byDay.get(start + i * 86400) || []).reduce((a, [, v]) => a + v, 0));
    const max = Math.max(...totals, 0) || 1;
    const width = 720, height = 200, pad = 28, bar = (width - pad) / days;
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height + 24}`);
    svg.setAttribute("preserveAspectRatio", "none");
    for (let i = 0; i < days; i++) {
      let y = height;
      for (const [name, value] of byDay.get(start + i * 86400) || []) {
        const h = (value / max) * (height - 10);
        const rect = document.createElementNS(ns, "rect");
        rect.setAttribute("x", String(pad + i * bar + bar * 0.15));
        rect.setAttribute("y", String(y - h));
        rect.setAttribute("width", String(bar * 0.7));
        rect.setAttribute("height", String(Math.max(h, 0)));
        rect.setAttribute("fill", palette[names.indexOf(name) % palette.length]);
        const title = document.createElementNS(ns, "title");
        title.textContent = `${new Date((start + i * 86400) * 1000).toISOString().slice(0, 10)} ${name}: ${format(value)}`;
        rect.appendChild(title);
        svg.appendChild(rect);
        y -= h;
      }
      if (days <= 10 || i % Math.ceil(days / 10) === 0) {
        const label = document.createElementNS(ns, "text");
        label.setAttribute("x", String(pad + i * bar + bar / 2));
        label.setAttribute("y", String(height + 16));
        label.setAttribute("text-anchor", "middle");
        label.textContent = new Date((start + i * 86400) * 1000).toISOString().slice(5, 10);
        svg.appendChild(label);
      }
    }
    const axis = document.createElementNS(ns, "line");
    axis.setAttribute("x1", String(pad)); axis.setAttribute("x2", String(width));
    axis.setAttribute("y1", String(height)); axis.setAttribute("y2", String(height));
    axis.setAttribute("class", "axis");
    svg.appendChild(axis);
    const legend = document.createElement("div");
    legend.className = "legend";
    for (const name of names) {
      const item = document.createElement("span");
      const swatch = document.createElement("i");
      swatch.style.background = palette[names.indexOf(name) % palette.length];
      item.append(swatch, document.createTextNode(name));
      legend.appendChild(item);
    }
    if (!names.length) legend.textContent = t("noData");
    container.replaceChildren(svg, legend);
  }
  $("usage-project").addEventListener("change", () => { $("usage-key").value = ""; loadUsagePage(); });
  $("usage-key").addEventListener("change", loadUsagePage);
  $("usage-range").addEventListener("change", loadUsagePage);

  // ---- start ----
  $("language").addEventListener("change", () => {
    state.lang = $("language").value;
    localStorage.setItem("sb.lang", state.lang);
    applyLanguage();
    route();
  });
  async function start() {
    document.body.dataset.ready = "false";
    await detectRole();
    applyLanguage();
    if (state.role === "none") openSignIn();
    await loadModels();
    route();
    document.body.dataset.ready = "true";
  }
  start();
})();
