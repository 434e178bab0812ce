// Web chat: sends each question to POST /api/ask and shows the answer, its source, contact card
// and suggestion chips; under a refusal, a chip that leaves the question for staff, whose answer the
// page fetches (GET /api/messages) on load and every 25 s. Every value is inserted with textContent,
// never as HTML.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("ask");
  var input = document.getElementById("question");
  var send = document.getElementById("send");
  var status = document.getElementById("status");
  var session = sessionStorage.getItem("chat-session");
  if (!session) {
    session = "w" + Math.random().toString(36).slice(2) + Date.now().toString(36);
    sessionStorage.setItem("chat-session", session);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function chips(questions, label) {
    var group = el("div", "chips");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", label);
    questions.forEach(function (q) {
      var button = el("button", "chip", q);
      button.type = "button";
      button.setAttribute("data-question", q);
      group.appendChild(button);
    });
    return group;
  }

  // A phone (touch screen): focus is not put back in the question box after an answer, so that the
  // on-screen keyboard does not come back up over it.
  function coarsePointer() {
    return !!(window.matchMedia && window.matchMedia("(pointer: coarse)").matches);
  }

  // The newest message in view: its start when it is taller than the log, else all of it.
  function reveal(node) {
    if (!node.scrollIntoView) { log.scrollTop = log.scrollHeight; return; }
    node.scrollIntoView({block: node.offsetHeight > log.clientHeight ? "start" : "end"});
  }

  // The answer's text; the phone and e-mail of the lines "Điện thoại: …" / "Email: …" (the
  // department's contacts under a refusal) are tel:/mailto: links.
  var CONTACT_LINE = /^(Điện thoại|Đường dây nóng|Email): (.+)$/;
  function textWithLinks(text) {
    var p = el("p", "text");
    text.split("\n").forEach(function (line, i) {
      if (i) p.appendChild(document.createTextNode("\n"));
      var m = CONTACT_LINE.exec(line);
      var href = m ? linkFor(m[1], m[2]) : null;
      if (!href) { p.appendChild(document.createTextNode(line)); return; }
      p.appendChild(document.createTextNode(m[1] + ": "));
      var a = el("a", "", m[2]);
      a.href = href;
      p.appendChild(a);
    });
    return p;
  }

  function linkFor(label, value) {
    if (value.indexOf("@") > 0) return "mailto:" + value;
    if (label === "Điện thoại" || label === "Đường dây nóng") return "tel:" + value.replace(/[^\d+]/g, "");
    return null;
  }

  // "Nguồn: title — URL (date)" → "Nguồn: <a href=URL>title</a> (date)"
  function sourceLine(source, line) {
    var p = el("p", "source");
    var cut = source.url ? line.indexOf(" — " + source.url) : -1;
    var head = line.slice(0, Math.max(cut, 0));
    var at = source.title ? head.lastIndexOf(source.title) : -1;
    if (cut < 0 || at < 0 || source.url.indexOf("http") !== 0) { p.textContent = line; return p; }
    var a = el("a", "", source.title);
    a.href = source.url;
    a.rel = "noopener";
    p.appendChild(document.createTextNode(head.slice(0, at)));
    p.appendChild(a);
    p.appendChild(document.createTextNode(line.slice(cut + 3 + source.url.length)));
    return p;
  }

  function showReply(reply, extraClass) {
    var box = el("div", "msg bot" + (extraClass ? " " + extraClass : ""));
    var text = reply.text || reply.error || "";
    var source = "";
    var cut = text.lastIndexOf("\n\n");
    if (reply.source && cut > 0 && text.slice(cut + 2).indexOf("Nguồn:") === 0) {
      source = text.slice(cut + 2);
      text = text.slice(0, cut);
    }
    var hasCard = reply.contact_card && reply.contact_card.length;
    box.appendChild(textWithLinks(hasCard ? text.split("\n")[0] : text));  // the card shows the values
    if (hasCard) {
      var card = el("dl", "card");
      reply.contact_card.forEach(function (item) {
        card.appendChild(el("dt", "", item.label));
        var dd = el("dd");
        var href = linkFor(item.label, item.value);
        if (href) { var a = el("a", "", item.value); a.href = href; dd.appendChild(a); }
        else dd.textContent = item.value;
        card.appendChild(dd);
      });
      box.appendChild(card);
    }
    if (source) box.appendChild(sourceLine(reply.source, source));
    if (reply.suggestions && reply.suggestions.length) box.appendChild(chips(reply.suggestions, "Có phải bạn muốn hỏi"));
    if (reply.handover) box.appendChild(chips([reply.handover], "Chuyển câu hỏi cho cán bộ"));
    if (reply.answered && reply.log_id) box.appendChild(feedbackButtons(reply.log_id));
    log.appendChild(box);
    reveal(box);
  }

  // 👍/👎 under an answer: POST /api/feedback with the same session as the question.
  function feedbackButtons(logId) {
    var group = el("div", "feedback");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Câu trả lời có hữu ích không?");
    var note = el("p", "feedback-note");
    note.setAttribute("role", "status");
    [[1, "👍", "Hữu ích"], [-1, "👎", "Chưa hữu ích"]].forEach(function (choice) {
      var button = el("button", "rate", choice[1]);
      button.type = "button";
      button.setAttribute("aria-label", choice[2]);
      button.title = choice[2];
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () {
        rate(group.querySelectorAll(".rate"), note, button, {log_id: logId, value: choice[0]}, function () {
          if (choice[0] === -1) reveal(group.insertBefore(reasons(logId, note), note));
        });
      });
      group.appendChild(button);
    });
    group.appendChild(note);
    return group;
  }

  // After 👎: what was wrong, in one tap; sent again to /api/feedback with a "reason" code. The reasons,
  // [code, label] pairs, are the server's list, given in the page (data-feedback-reasons).
  var REASONS = JSON.parse(log.getAttribute("data-feedback-reasons") || "[]");
  function reasons(logId, note) {
    var group = el("div", "reasons");
    group.setAttribute("role", "group");
    var label = el("p", "reasons-label", "Câu trả lời chưa ổn ở điểm nào?");
    label.id = "reasons-" + logId;
    group.setAttribute("aria-labelledby", label.id);
    group.appendChild(label);
    REASONS.forEach(function (reason) {
      var button = el("button", "reason", reason[1].charAt(0).toUpperCase() + reason[1].slice(1));
      button.type = "button";
      button.setAttribute("data-reason", reason[0]);
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", function () {
        rate(group.querySelectorAll(".reason"), note, button, {log_id: logId, value: -1, reason: reason[0]});
      });
      group.appendChild(button);
    });
    return group;
  }

  function rate(buttons, note, button, body, done) {
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    body.session = session;
    fetch("/api/feedback", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {error: "Máy chủ trả lời không hợp lệ."}; });
    }).then(function (result) {
      note.textContent = result.text || result.error || "";
      if (result.text) { button.setAttribute("aria-pressed", "true"); if (done && result.recorded) done(); }
      else Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
    }).catch(function () {
      note.textContent = "Không gửi được đánh giá. Bạn vui lòng thử lại sau.";
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
    });
  }

  function ask(question) {
    question = question.trim();
    if (!question) { status.textContent = "Bạn chưa nhập câu hỏi."; input.focus(); return; }
    reveal(log.appendChild(el("div", "msg user", question)));
    input.value = "";
    send.disabled = true;
    status.textContent = "Đang tìm câu trả lời…";
    fetch("/api/ask", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({question: question, session: session})
    }).then(function (response) {
      return response.json().catch(function () { return {error: "Máy chủ trả lời không hợp lệ."}; });
    }).then(function (reply) {
      showReply(reply);
      status.textContent = "";
    }).catch(function () {
      showReply({error: "Không kết nối được máy chủ. Bạn vui lòng thử lại sau ít phút."});
      status.textContent = "";
    }).then(function () {
      send.disabled = false;
      if (!coarsePointer()) input.focus();
    });
  }

  // Staff's answers to the questions this session left for them; each comes once.
  function fetchAnswers() {
    if (document.visibilityState === "hidden") return;
    fetch("/api/messages?session=" + encodeURIComponent(session)).then(function (response) {
      return response.json();
    }).then(function (result) {
      (result.messages || []).forEach(function (message) { showReply({text: message.text}, "staff"); });
    }).catch(function () { /* offline for a moment: the next round asks again */ });
  }
  fetchAnswers();
  setInterval(fetchAnswers, 25000);
  document.addEventListener("visibilitychange", fetchAnswers);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    ask(input.value);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask(input.value);
    }
  });
  document.addEventListener("click", function (event) {
    var chip = event.target.closest ? event.target.closest(".chip") : null;
    if (chip) ask(chip.getAttribute("data-question"));
  });
})();
