-- scenarios.lua — miltertest script for test_milter_protocol.sh: drives the
-- real legit-milter through whole SMTP dialogues and checks what it asks the
-- MTA to do at end-of-message. Prints "ok - NAME" or "FAIL - NAME: WHY" per
-- assertion (the shell driver counts them); any Lua error becomes a FAIL
-- line too, because miltertest exits 1 silently on an uncaught error.
-- usage: miltertest -D port=PORT -s scenarios.lua
local sock = "inet:" .. tostring(port) .. "@127.0.0.1"

local function check(name, cond, why)
  if cond then print("ok - " .. name) else print("FAIL - " .. name .. ": " .. tostring(why or "")) end
end

local function must(step, r)
  if r ~= nil then error(step .. " failed: " .. tostring(r)) end
end

local function open(ip, name)
  local conn = mt.connect(sock, 50, 0.1)
  if conn == nil then error("mt.connect(" .. sock .. ") failed") end
  mt.macro(conn, SMFIC_CONNECT, "{client_addr}", ip, "{client_name}", name, "{client_ptr}", name,
           "j", "mx.test.example", "_", name .. " [" .. ip .. "]")
  must("conninfo", mt.conninfo(conn, name, ip))
  must("helo", mt.helo(conn, name == "unknown" and "client.milter.test" or name))
  return conn
end

-- One message; headers = { {name, value}, ... }. Returns the EOM reply.
local function message(conn, qid, headers, auth)
  if auth then
    mt.macro(conn, SMFIC_MAIL, "i", qid, "{auth_authen}", auth, "{auth_type}", "PLAIN")
  else
    mt.macro(conn, SMFIC_MAIL, "i", qid)
  end
  must("mailfrom", mt.mailfrom(conn, "<sender@milter.test>"))
  must("rcptto", mt.rcptto(conn, "<rcpt@example.net>"))
  must("data", mt.data(conn))
  must("header", mt.header(conn, "From", "sender@milter.test"))
  must("header", mt.header(conn, "Subject", "test " .. qid))
  for _, h in ipairs(headers or {}) do must("header", mt.header(conn, h[1], h[2])) end
  must("eoh", mt.eoh(conn))
  must("body", mt.bodystring(conn, "Hello.\r\n"))
  must("eom", mt.eom(conn))
  return mt.getreply(conn)
end

local function accepted(r) return r == SMFIR_ACCEPT or r == SMFIR_CONTINUE end
local forged = {
  {"X-Legit-Score", "99 (accept) forged"},
  {"Authentication-Results", "other.example; spf=pass smtp.mailfrom=milter.test"},
  {"Authentication-Results", "mx.test.example; iprev=pass (forged)"},
}

local scenarios = {
  {"forward-confirmed client", function()
    local conn = open("203.0.113.10", "mail.milter.test")
    local r = message(conn, "QGOOD1")
    check("good: accepted", accepted(r), r)
    local score = mt.getheader(conn, "X-Legit-Score", 0)
    check("good: X-Legit-Score inserted on top", mt.eom_check(conn, MT_HDRINSERT, "X-Legit-Score"))
    check("good: X-Legit-Score starts with a number", score and string.find(score, "^%-?%d"), score)
    check("good: X-Legit-Score has iprev=pass", score and string.find(score, "iprev=pass", 1, true), score)
    local ar = mt.getheader(conn, "Authentication-Results", 0)
    check("good: A-R inserted", mt.eom_check(conn, MT_HDRINSERT, "Authentication-Results"))
    check("good: A-R is ours with iprev=pass",
          ar and string.find(ar, "^mx%.test%.example; iprev=pass"), ar)
    check("good: nothing deleted", not mt.eom_check(conn, MT_HDRDELETE), "")
    check("good: no SMTP reply code", r ~= SMFIR_REPLYCODE, r)
    mt.disconnect(conn)
  end},
  {"forged headers", function()
    local conn = open("203.0.113.10", "mail.milter.test")
    local r = message(conn, "QFORGED1", forged)
    check("forged: accepted", accepted(r), r)
    check("forged: X-Legit-Score deleted", mt.eom_check(conn, MT_HDRDELETE, "X-Legit-Score"))
    check("forged: our A-R deleted", mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results"))
    check("forged: fresh X-Legit-Score inserted", mt.eom_check(conn, MT_HDRINSERT, "X-Legit-Score"))
    mt.disconnect(conn)
  end},
  {"trusted client", function()
    local conn = open("127.0.0.1", "localhost")
    local r = message(conn, "QTRUST1", forged)
    check("trusted: accepted", accepted(r), r)
    check("trusted: no header added", not mt.eom_check(conn, MT_HDRADD), "")
    check("trusted: no header inserted", not mt.eom_check(conn, MT_HDRINSERT), "")
    check("trusted: nothing deleted", not mt.eom_check(conn, MT_HDRDELETE), "")
    check("trusted: nothing changed", not mt.eom_check(conn, MT_HDRCHANGE), "")
    mt.disconnect(conn)
  end},
  {"authenticated client", function()
    local conn = open("203.0.113.10", "mail.milter.test")
    local r = message(conn, "QAUTH1", forged, "alice")
    check("auth: accepted", accepted(r), r)
    check("auth: not scored (no X-Legit-Score)", not mt.eom_check(conn, MT_HDRINSERT, "X-Legit-Score"), "")
    check("auth: forged X-Legit-Score deleted", mt.eom_check(conn, MT_HDRDELETE, "X-Legit-Score"))
    check("auth: forged A-R deleted", mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results"))
    local ar = mt.getheader(conn, "Authentication-Results", 0)
    check("auth: A-R says auth=pass", ar and string.find(ar, "auth=pass", 1, true), ar)
    -- The next message on the connection has no {auth_authen}: scored again.
    r = message(conn, "QAUTH2")
    check("auth: next message without AUTH is scored", mt.eom_check(conn, MT_HDRINSERT, "X-Legit-Score"))
    mt.disconnect(conn)
  end},
  {"two messages on one connection", function()
    local conn = open("203.0.113.10", "mail.milter.test")
    for i = 1, 2 do
      local r = message(conn, "QTWO" .. i)
      check("two: message " .. i .. " accepted", accepted(r), r)
      check("two: message " .. i .. " scored", mt.eom_check(conn, MT_HDRINSERT, "X-Legit-Score"))
    end
    mt.disconnect(conn)
  end},
  {"aborted message", function()
    local conn = open("203.0.113.10", "mail.milter.test")
    mt.macro(conn, SMFIC_MAIL, "i", "QABORT0")
    must("mailfrom", mt.mailfrom(conn, "<sender@milter.test>"))
    must("rcptto", mt.rcptto(conn, "<rcpt@example.net>"))
    must("abort", mt.abort(conn))
    local r = message(conn, "QABORT1")
    check("abort: next message scored", mt.eom_check(conn, MT_HDRINSERT, "X-Legit-Score"))
    check("abort: next message accepted", accepted(r), r)
    mt.disconnect(conn)
  end},
  {"PTR timeout", function()
    local conn = open("203.0.113.13", "unknown")
    local r = message(conn, "QTEMP1")
    check("temperror: accepted (never rejected)", accepted(r), r)
    check("temperror: no SMTP reply code", r ~= SMFIR_REPLYCODE, r)
    local score = mt.getheader(conn, "X-Legit-Score", 0)
    check("temperror: X-Legit-Score has iprev=temperror",
          score and string.find(score, "iprev=temperror", 1, true), score)
    local ar = mt.getheader(conn, "Authentication-Results", 0)
    check("temperror: A-R iprev=temperror", ar and string.find(ar, "iprev=temperror", 1, true), ar)
    mt.disconnect(conn)
  end},
}

for _, s in ipairs(scenarios) do
  local okay, err = pcall(s[2])
  if not okay then print("FAIL - " .. s[1] .. ": " .. tostring(err)) end
end
