package sshchat

import (
	"fmt"
	"strings"
)

// lang is a user's language. Every line the server writes to a user comes
// from the catalogue below, in both languages.
type lang uint8

const (
	langEN lang = iota
	langPT
	numLangs
)

// parseLang reads a language from a flag value, a /lang argument or a
// locale such as pt_BR.UTF-8.
func parseLang(s string) (lang, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "en" || strings.HasPrefix(s, "en_") || strings.HasPrefix(s, "en-") || s == "english" || s == "inglês" || s == "ingles":
		return langEN, true
	case s == "pt" || strings.HasPrefix(s, "pt_") || strings.HasPrefix(s, "pt-") || s == "português" || s == "portugues" || s == "portuguese":
		return langPT, true
	}
	return langEN, false
}

// langFromEnv picks the language from the client's locale variables, in
// POSIX precedence order (LC_ALL, LC_MESSAGES, LANG). Debian's and
// Ubuntu's ssh send LANG and LC_* by default.
func langFromEnv(env []string, fallback lang) lang {
	vars := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := vars[k]
		if v == "" {
			continue
		}
		if l, ok := parseLang(v); ok {
			return l
		}
		return fallback // a set locale in another language: keep the server default
	}
	return fallback
}

func (l lang) String() string {
	if l == langPT {
		return "pt"
	}
	return "en"
}

type msgID int

const (
	msgWelcome msgID = iota
	msgJoined
	msgLeftQuit
	msgLeftLost
	msgLeftTimeout
	msgLeftIdle
	msgLeftSlow
	msgLeftError
	msgShutdown
	msgPrivateFrom
	msgPrivateTo
	msgUnknownCommand
	msgNoSuchUser
	msgUsage
	msgTooLong
	msgWho
	msgWhoMore
	msgHelpHeader
	msgHelpFooter
	msgLangSet
	msgNamePrompt
	msgNameEmpty
	msgNameTooLong
	msgNameSpace
	msgNameControl
	msgNameBadChar
	msgNameCommand
	msgNameInvalid
	msgNameTaken
	msgNameAgain
	msgNameAgainPlain
	msgLoginTries
	msgLoginTimeout
	msgNoCommands
	msgIdleBye
	msgPrivateSelf
	msgCmdHelp
	msgCmdQuit
	msgCmdMsg
	msgCmdWho
	msgCmdLang
	msgArgsMsg
	msgArgsLang
	msgArgsName
	msgCmdWhois
	msgWhois
	msgWhoisNoKey
	msgSlowDown
	msgPasteTooLong
	msgFloodBye
	msgLeftFlood
	msgRefusedPerAddr
	msgRefusedTotal
	msgRefusedThrottled
	msgBadKey
	msgJoinedMany
	msgMoreJoined
	msgMoreLeft
	msgLeftQuitMany
	msgLeftLostMany
	msgLeftTimeoutMany
	msgLeftIdleMany
	msgLeftSlowMany
	msgLeftErrorMany
	msgLeftFloodMany
	msgListAnd
	msgNotSent
	msgHistoryUnavailable
	msgEarlier
	msgEarlierEnd
	msgHistoryRange
	msgHistoryEmpty
	msgHistoryTitle
	msgSearchNone
	msgSearchTitle
	msgZoneIs
	msgZoneUnknown
	msgZoneSet
	msgArgsHistory
	msgCmdHistory
	msgArgsSearch
	msgCmdSearch
	msgArgsZone
	msgCmdZone
	msgArgsBan
	msgArgsKeys
	msgArgsKick
	msgArgsMotd
	msgArgsMute
	msgArgsUnban
	msgAway
	msgAwayNothing
	msgAwaySkipped
	msgBadDuration
	msgBanned
	msgBannedBye
	msgBannedWhy
	msgBansBy
	msgBansHeader
	msgCmdBan
	msgCmdBans
	msgCmdDeop
	msgCmdKeys
	msgCmdKick
	msgCmdMotd
	msgCmdMute
	msgCmdOp
	msgCmdRegister
	msgCmdUnban
	msgCmdUnmute
	msgCmdUnregister
	msgDeopped
	msgForGood
	msgKeyAdded
	msgKeyMalformed
	msgKeyRemoved
	msgKeyTaken
	msgKeyUnknown
	msgKeysHeader
	msgKeysThis
	msgKicked
	msgKickedBye
	msgKickedByeWhy
	msgKickedWhy
	msgMotd
	msgMotdCleared
	msgMotdSet
	msgMutedRoom
	msgNameRegistered
	msgNoBans
	msgNotBanned
	msgNotMuted
	msgNotOp
	msgNotOwner
	msgNotRegistered
	msgNotYourself
	msgOpNeedsAccount
	msgOperatorsOnly
	msgOpped
	msgOwnersOnly
	msgReconnected
	msgReconnectedMany
	msgRegisterAlready
	msgRegisterNeedsKey
	msgRegisterSlowDown
	msgRegistered
	msgReplacedBye
	msgStoreFailed
	msgTooManyKeys
	msgUnbanned
	msgUnmutedRoom
	msgUnregistered
	msgUntil
	msgWhoisOperator
	msgWhoisOwner
	msgWhoisRegistered
	msgYouAreBanned
	msgYouAreMuted
	msgYouAreMutedPrivate
	msgBannedAlso
	msgArgsAction
	msgCmdMe
	msgArgsOnOff
	msgCmdBell
	msgBellOn
	msgBellOff
	msgArgsReason
	msgCmdAway
	msgCmdBack
	msgAwayDefault
	msgAwaySet
	msgBack
	msgIsAway
	msgWhoAway
	msgWhoisAway
	msgArrived
	msgTopicIs
	msgWentTo
	msgRenamed
	msgArgsRoom
	msgArgsTopic
	msgArgsNewName
	msgArgsAll
	msgCmdJoin
	msgCmdLeave
	msgCmdRooms
	msgCmdTopic
	msgCmdNick
	msgCmdTimestamps
	msgRoomsHeader
	msgRoomsLine
	msgRoomInvalid
	msgRoomLookAlike
	msgRoomTooMany
	msgRoomBusy
	msgAlreadyIn
	msgTopicSet
	msgTopicCleared
	msgTopicNone
	msgTopicNotAllowed
	msgTopicLobby
	msgWhoRoom
	msgWhoAll
	msgWhoAllLine
	msgNickSame
	msgNickMuted
	msgNickKeeps
	msgStampsOn
	msgStampsOff
	msgRoomExpired
	msgWhoisRoom
	msgChatUnavailable
	msgChatBack
	numMsgs
)

// catalogue holds every user-facing line, in each language. Verbs are
// fmt's; the arguments are the same in both languages.
var catalogue = [numLangs][numMsgs]string{
	langEN: {
		msgWelcome:            "Welcome, %[1]s! %[3]d online. You are in #%[2]s. Type /help for commands, /quit to leave.",
		msgJoined:             "* %s joined (%d online)",
		msgLeftQuit:           "* %s left (%d online)",
		msgLeftLost:           "* %s lost the connection (%d online)",
		msgLeftTimeout:        "* %s timed out: no answer from their client (%d online)",
		msgLeftIdle:           "* %s was disconnected for being idle (%d online)",
		msgLeftSlow:           "* %s was disconnected: too slow to receive messages (%d online)",
		msgLeftError:          "* %s was disconnected by a server error (%d online)",
		msgShutdown:           "* The server is shutting down. Goodbye!",
		msgPrivateFrom:        "[private] %s → you: %s",
		msgPrivateTo:          "[private] you → %s: %s",
		msgUnknownCommand:     "! Unknown command or user: /%s. Type /help for the commands, /who for who is here.",
		msgNoSuchUser:         "! No user named %s is connected; nothing was sent. Type /who to see who is here.",
		msgUsage:              "! Usage: %s",
		msgTooLong:            "! Message too long (at most %d characters); nothing was sent.",
		msgWho:                "* %d online: %s",
		msgWhoMore:            "… and %d more",
		msgHelpHeader:         "* Commands:",
		msgHelpFooter:         "* Anything else you type goes to everyone. Start a line with // to send text that begins with /.",
		msgLangSet:            "* Language: English.",
		msgNamePrompt:         "name: ",
		msgNameEmpty:          "! A name is required to chat.",
		msgNameTooLong:        "! %s: names are at most %d characters.",
		msgNameSpace:          "! %s: names cannot contain spaces.",
		msgNameControl:        "! That name contains control or invisible characters.",
		msgNameBadChar:        "! %s: names use letters, digits, _ - and . and start with a letter or digit.",
		msgNameCommand:        "! %s is the name of a command.",
		msgNameInvalid:        "! %s is not allowed as a name.",
		msgNameTaken:          "! %s is taken: someone with that name (or one that looks the same) is connected.",
		msgNameAgain:          "  Choose another name below (Ctrl-D to leave).",
		msgNameAgainPlain:     "  Send another name on a line of its own.",
		msgLoginTries:         "! Too many tries. Goodbye.",
		msgLoginTimeout:       "! No name chosen in time. Goodbye.",
		msgNoCommands:         "sshchat is an interactive chat and runs no commands; connect without one: %s",
		msgIdleBye:            "! Disconnected: no input for %s.",
		msgPrivateSelf:        "! That is you; a private message needs someone else.",
		msgCmdHelp:            "show this help",
		msgCmdQuit:            "leave the chat (Ctrl-D too)",
		msgCmdMsg:             "private message (also /<name> <text>)",
		msgCmdWho:             "list who is connected",
		msgCmdLang:            "switch language: en or pt",
		msgArgsMsg:            "<name> <text>",
		msgArgsLang:           "en|pt",
		msgArgsName:           "<name>",
		msgCmdWhois:           "who someone is: key fingerprint, client, time connected",
		msgWhois:              "* %s: key %s; client %s; connected for %s",
		msgWhoisNoKey:         "none (joined without a key)",
		msgSlowDown:           "! Slow down: more than %d lines at once or %g a second. Lines are not sent until you pause.",
		msgPasteTooLong:       "! Paste too long: at most %d lines at once; the rest was not sent.",
		msgFloodBye:           "! Disconnected for flooding.",
		msgLeftFlood:          "* %s was disconnected for flooding (%d online)",
		msgRefusedPerAddr:     "too many connections from your address; close one and try again",
		msgRefusedTotal:       "the server is full; try again later",
		msgRefusedThrottled:   "too many new connections from your address; wait a minute",
		msgBadKey:             "! Your session's key does not match the key you authenticated with.",
		msgJoinedMany:         "* %s joined (%d online)",
		msgMoreJoined:         "* %d more joined (%d online)",
		msgMoreLeft:           "* %d more left (%d online)",
		msgLeftQuitMany:       "* %s left (%d online)",
		msgLeftLostMany:       "* %s lost their connections (%d online)",
		msgLeftTimeoutMany:    "* %s timed out: no answer from their clients (%d online)",
		msgLeftIdleMany:       "* %s were disconnected for being idle (%d online)",
		msgLeftSlowMany:       "* %s were disconnected: too slow to receive messages (%d online)",
		msgLeftErrorMany:      "* %s were disconnected by a server error (%d online)",
		msgLeftFloodMany:      "* %s were disconnected for flooding (%d online)",
		msgListAnd:            " and ",
		msgNotSent:            "! Not sent: the history store is not answering. Try again in a moment.",
		msgHistoryUnavailable: "! History unavailable: the history store is not answering. Try again in a moment.",
		msgEarlier:            "── earlier messages ──",
		msgEarlierEnd:         "── now ──",
		msgHistoryRange:       "(N from 1 to %d)",
		msgHistoryEmpty:       "* Nothing has been said here yet.",
		msgHistoryTitle:       "── the last messages (%d) ──",
		msgSearchNone:         "* No message holds all of: %s",
		msgSearchTitle:        "── messages holding %[2]s (%[1]d) ──",
		msgZoneIs:             "* Your time zone: %s.",
		msgZoneUnknown:        "! Unknown time zone %s: use a name such as America/Sao_Paulo, Europe/Lisbon or UTC.",
		msgZoneSet:            "* Time zone: %s (now %s there).",
		msgArgsHistory:        "[N]",
		msgCmdHistory:         "the room's last N messages (50 without N), with their times",
		msgArgsSearch:         "<words>",
		msgCmdSearch:          "the room's latest messages holding all the words (case and accents ignored)",
		msgArgsZone:           "<zone>",
		msgCmdZone:            "show times in a time zone, such as America/Sao_Paulo",
		msgArgsBan:            "<name> [duration] [reason]",
		msgArgsKeys:           "[add <public key> | remove <fingerprint>]",
		msgArgsKick:           "<name> [reason]",
		msgArgsMotd:           "[text]",
		msgArgsMute:           "<name> [duration]",
		msgArgsUnban:          "<name|fingerprint|address>",
		msgAway:               "── while you were away (%d) ──",
		msgAwayNothing:        "* Nothing was said while you were away.",
		msgAwaySkipped:        "* … and %d earlier ones; /history shows more.",
		msgBadDuration:        "! That duration does not read: use 30s, 10m, 2h or 7d.",
		msgBanned:             "* %s was banned by %s, %s",
		msgBannedBye:          "! You were banned by %s, %s.",
		msgBannedWhy:          "* %s was banned by %s, %s: %s",
		msgBansBy:             "by %s",
		msgBansHeader:         "* %d bans:",
		msgCmdBan:             "ban a user's keys and address, for a while or for good",
		msgCmdBans:            "list the bans: who, why, by whom, until when",
		msgCmdDeop:            "take operator rights away",
		msgCmdKeys:            "list your account's keys, add another device's, or remove one",
		msgCmdKick:            "send a user away",
		msgCmdMotd:            "set the message every joiner sees first (none: clear it)",
		msgCmdMute:            "stop a user's lines reaching the room",
		msgCmdOp:              "make a registered user an operator",
		msgCmdRegister:        "tie your name to the key you connected with",
		msgCmdUnban:           "lift a ban",
		msgCmdUnmute:          "let a muted user speak again",
		msgCmdUnregister:      "free your name",
		msgDeopped:            "* %s is no longer an operator (by %s)",
		msgForGood:            "for good",
		msgKeyAdded:           "* Key %s added: connect with it under your name.",
		msgKeyMalformed:       "! That is not a public key: paste one line of a .pub file (ssh-ed25519 AAAA…).",
		msgKeyRemoved:         "* Key %s removed.",
		msgKeyTaken:           "! That key belongs to another account; nothing changed.",
		msgKeyUnknown:         "! Your account has no key %s; /keys lists them.",
		msgKeysHeader:         "* %s: %d keys",
		msgKeysThis:           "(this connection)",
		msgKicked:             "* %s was kicked by %s",
		msgKickedBye:          "! You were kicked by %s.",
		msgKickedByeWhy:       "! You were kicked by %s: %s",
		msgKickedWhy:          "* %s was kicked by %s: %s",
		msgMotd:               "* %s",
		msgMotdCleared:        "* Message of the day cleared.",
		msgMotdSet:            "* Message of the day set: every joiner sees it first.",
		msgMutedRoom:          "* %s was muted by %s, %s",
		msgNameRegistered:     "! %s is a registered name, and this connection's key is not one of its keys. Connect with its key, or choose another name.",
		msgNoBans:             "* Nobody is banned.",
		msgNotBanned:          "! Nothing banned matches %s.",
		msgNotMuted:           "! %s is not muted.",
		msgNotOp:              "! %s is not an operator.",
		msgNotOwner:           "! %s is an owner: operators cannot act against owners.",
		msgNotRegistered:      "! Your name is not registered: /register first.",
		msgNotYourself:        "! Not yourself.",
		msgOpNeedsAccount:     "! %s is not a registered name: operators are accounts; they /register first.",
		msgOperatorsOnly:      "! Only operators can use %s.",
		msgOpped:              "* %s is now an operator (by %s)",
		msgOwnersOnly:         "! Only the server's owners can use %s.",
		msgReconnected:        "* %s reconnected (%d online)",
		msgReconnectedMany:    "* %s reconnected (%d online)",
		msgRegisterAlready:    "! %s is already registered to your key; /keys shows its keys.",
		msgRegisterNeedsKey:   "! You connected without a key, so there is nothing to register your name to. Make one with ssh-keygen -t ed25519, then connect again: ssh uses it by itself.",
		msgRegisterSlowDown:   "! Too many registrations from your key or address; try again later.",
		msgRegistered:         "* %s is now registered to your key %s: nobody else can use it, or a look-alike. Add other devices with /keys add.",
		msgReplacedBye:        "! You connected again from elsewhere; this connection is closed.",
		msgStoreFailed:        "! The store is not answering; nothing changed. Try again in a moment.",
		msgTooManyKeys:        "! An account has at most %d keys; /keys remove one first.",
		msgUnbanned:           "* Lifted %[2]d bans matching %[1]s.",
		msgUnmutedRoom:        "* %s can speak again (by %s)",
		msgUnregistered:       "* %s is no longer registered.",
		msgUntil:              "until %s",
		msgWhoisOperator:      "  operator",
		msgWhoisOwner:         "  owner",
		msgWhoisRegistered:    "  registered since %s",
		msgYouAreBanned:       "you are banned, %s.",
		msgYouAreMuted:        "! You are muted, %s: the room does not see your lines. Private messages to operators still go through.",
		msgYouAreMutedPrivate: "! You are muted, %s: you may write privately to operators only.",
		msgBannedAlso:         "* %s left: banned with %s (same key or address)",
		msgArgsAction:         "<action>",
		msgCmdMe:              "tell the room what you are doing: /me waves shows * name waves",
		msgArgsOnOff:          "on|off",
		msgCmdBell:            "ring the terminal's bell when a line names you (@you)",
		msgBellOn:             "* Bell on: a line that names you rings it.",
		msgBellOff:            "* Bell off.",
		msgArgsReason:         "[reason]",
		msgCmdAway:            "say you are away, and why; your next line says you are back",
		msgCmdBack:            "say you are back",
		msgAwayDefault:        "away",
		msgAwaySet:            "* You are away: %s. Your next line brings you back.",
		msgBack:               "* Welcome back: you are no longer away.",
		msgIsAway:             "* %s is away: %s",
		msgWhoAway:            "%s (away: %s)",
		msgWhoisAway:          "  away: %s",
		msgWhoisRoom:          "  in #%s",
		msgChatUnavailable:    "! The chat is unavailable: its store is not answering. Retrying by itself; lines you type meanwhile are not sent.",
		msgChatBack:           "* The chat is back: lines are sent again.",
		msgArrived:            "* You are now in #%s (%d here).",
		msgTopicIs:            "Topic of #%s: %s",
		msgWentTo:             "* %s went to #%s (%d online)",
		msgRenamed:            "* %s is now %s",
		msgArgsRoom:           "<#room>",
		msgArgsTopic:          "[text]",
		msgArgsNewName:        "<new name>",
		msgArgsAll:            "[all]",
		msgCmdJoin:            "go to a room, creating it if it does not exist",
		msgCmdLeave:           "go back to the lobby",
		msgCmdRooms:           "list the rooms, with how many are in each and their topics",
		msgCmdTopic:           "show or set this room's topic (its creator or an operator)",
		msgCmdNick:            "change your name",
		msgCmdTimestamps:      "show the time before each line",
		msgRoomsHeader:        "* %d rooms:",
		msgRoomsLine:          "  #%s (%d)",
		msgRoomInvalid:        "! %s is not a room name: # and 1 to %d letters, digits or signs, with no spaces, such as #rust.",
		msgRoomLookAlike:      "! #%s looks like #%s, which exists; to join it, type /join #%s.",
		msgRoomTooMany:        "! This server already has %d rooms, the most it keeps; join one of /rooms.",
		msgRoomBusy:           "! #%s is being removed; try again in a moment.",
		msgAlreadyIn:          "* You are already in #%s.",
		msgTopicSet:           "* %s set the topic of #%s: %s",
		msgTopicCleared:       "* %s cleared the topic of #%s",
		msgTopicNone:          "* #%s has no topic; /topic text sets one.",
		msgTopicNotAllowed:    "! Only the room's creator (%s) or an operator can set the topic of #%s.",
		msgTopicLobby:         "! The lobby's topic is the message of the day, which operators set with /motd.",
		msgWhoRoom:            "* %d online in #%s: %s",
		msgWhoAll:             "* %d online in %d rooms:",
		msgWhoAllLine:         "  #%s (%d): %s",
		msgNickSame:           "* You are already %s.",
		msgNickMuted:          "! You are muted, %s: your name cannot change meanwhile.",
		msgNickKeeps:          "* Your account keeps the name %s: a key holds one registered name. /nick %s takes it back; /unregister frees it, and then /register takes %s.",
		msgStampsOn:           "* The time is shown before each line.",
		msgStampsOff:          "* Times are hidden.",
		msgRoomExpired:        "* #%s was empty for %s and is gone, with its history.",
	},
	langPT: {
		msgWelcome:            "Bem-vindo(a), %[1]s! %[3]d online. Você está em #%[2]s. Digite /ajuda para ver os comandos, /sair para sair.",
		msgJoined:             "* %s entrou (%d online)",
		msgLeftQuit:           "* %s saiu (%d online)",
		msgLeftLost:           "* %s perdeu a conexão (%d online)",
		msgLeftTimeout:        "* %s caiu por tempo esgotado: o cliente não respondeu (%d online)",
		msgLeftIdle:           "* %s foi desconectado(a) por inatividade (%d online)",
		msgLeftSlow:           "* %s foi desconectado(a): lento(a) demais para receber as mensagens (%d online)",
		msgLeftError:          "* %s foi desconectado(a) por um erro no servidor (%d online)",
		msgShutdown:           "* O servidor está sendo desligado. Até logo!",
		msgPrivateFrom:        "[privado] %s → você: %s",
		msgPrivateTo:          "[privado] você → %s: %s",
		msgUnknownCommand:     "! Comando ou usuário desconhecido: /%s. Digite /ajuda para ver os comandos, /clientes para ver quem está aqui.",
		msgNoSuchUser:         "! Nenhum usuário chamado %s está conectado; nada foi enviado. Digite /clientes para ver quem está aqui.",
		msgUsage:              "! Uso: %s",
		msgTooLong:            "! Mensagem longa demais (no máximo %d caracteres); nada foi enviado.",
		msgWho:                "* %d online: %s",
		msgWhoMore:            "… e mais %d",
		msgHelpHeader:         "* Comandos:",
		msgHelpFooter:         "* Todo o resto que você digitar vai para todos. Comece a linha com // para enviar um texto que começa com /.",
		msgLangSet:            "* Idioma: português.",
		msgNamePrompt:         "nome: ",
		msgNameEmpty:          "! É preciso um nome para conversar.",
		msgNameTooLong:        "! %s: nomes têm no máximo %d caracteres.",
		msgNameSpace:          "! %s: nomes não podem conter espaços.",
		msgNameControl:        "! Esse nome contém caracteres de controle ou invisíveis.",
		msgNameBadChar:        "! %s: nomes usam letras, dígitos, _ - e . e começam com letra ou dígito.",
		msgNameCommand:        "! %s é o nome de um comando.",
		msgNameInvalid:        "! %s não é permitido como nome.",
		msgNameTaken:          "! %s já está em uso: alguém com esse nome (ou um que parece igual) está conectado.",
		msgNameAgain:          "  Escolha outro nome abaixo (Ctrl-D para sair).",
		msgNameAgainPlain:     "  Envie outro nome numa linha sozinho.",
		msgLoginTries:         "! Tentativas demais. Até logo.",
		msgLoginTimeout:       "! Nenhum nome escolhido a tempo. Até logo.",
		msgNoCommands:         "sshchat é um chat interativo e não executa comandos; conecte sem comando: %s",
		msgIdleBye:            "! Desconectado(a): sem digitar nada por %s.",
		msgPrivateSelf:        "! Esse é você; uma mensagem privada precisa de outra pessoa.",
		msgCmdHelp:            "mostra esta ajuda",
		msgCmdQuit:            "sai do chat (Ctrl-D também)",
		msgCmdMsg:             "mensagem privada (também /<nome> <texto>)",
		msgCmdWho:             "lista quem está conectado",
		msgCmdLang:            "muda o idioma: pt ou en",
		msgArgsMsg:            "<nome> <texto>",
		msgArgsLang:           "pt|en",
		msgArgsName:           "<nome>",
		msgCmdWhois:           "quem é alguém: impressão digital da chave, cliente, tempo conectado",
		msgWhois:              "* %s: chave %s; cliente %s; conectado(a) há %s",
		msgWhoisNoKey:         "nenhuma (entrou sem chave)",
		msgSlowDown:           "! Mais devagar: mais de %d linhas de uma vez ou %g por segundo. Nada é enviado até você dar uma pausa.",
		msgPasteTooLong:       "! Colagem longa demais: no máximo %d linhas de uma vez; o resto não foi enviado.",
		msgFloodBye:           "! Desconectado(a) por flood.",
		msgLeftFlood:          "* %s foi desconectado(a) por flood (%d online)",
		msgRefusedPerAddr:     "conexões demais a partir do seu endereço; feche uma e tente de novo",
		msgRefusedTotal:       "o servidor está cheio; tente mais tarde",
		msgRefusedThrottled:   "conexões novas demais a partir do seu endereço; espere um minuto",
		msgBadKey:             "! A chave da sua sessão não é a chave com que você se autenticou.",
		msgJoinedMany:         "* %s entraram (%d online)",
		msgMoreJoined:         "* mais %d entraram (%d online)",
		msgMoreLeft:           "* mais %d saíram (%d online)",
		msgLeftQuitMany:       "* %s saíram (%d online)",
		msgLeftLostMany:       "* %s perderam a conexão (%d online)",
		msgLeftTimeoutMany:    "* %s caíram por tempo esgotado: os clientes não responderam (%d online)",
		msgLeftIdleMany:       "* %s foram desconectados(as) por inatividade (%d online)",
		msgLeftSlowMany:       "* %s foram desconectados(as): lentos(as) demais para receber as mensagens (%d online)",
		msgLeftErrorMany:      "* %s foram desconectados(as) por um erro no servidor (%d online)",
		msgLeftFloodMany:      "* %s foram desconectados(as) por flood (%d online)",
		msgListAnd:            " e ",
		msgNotSent:            "! Não enviada: o armazenamento do histórico não está respondendo. Tente de novo daqui a pouco.",
		msgHistoryUnavailable: "! Histórico indisponível: o armazenamento do histórico não está respondendo. Tente de novo daqui a pouco.",
		msgEarlier:            "── mensagens anteriores ──",
		msgEarlierEnd:         "── agora ──",
		msgHistoryRange:       "(N de 1 a %d)",
		msgHistoryEmpty:       "* Ninguém disse nada aqui ainda.",
		msgHistoryTitle:       "── as últimas mensagens (%d) ──",
		msgSearchNone:         "* Nenhuma mensagem contém todas as palavras: %s",
		msgSearchTitle:        "── mensagens com %[2]s (%[1]d) ──",
		msgZoneIs:             "* Seu fuso horário: %s.",
		msgZoneUnknown:        "! Fuso horário desconhecido %s: use um nome como America/Sao_Paulo, Europe/Lisbon ou UTC.",
		msgZoneSet:            "* Fuso horário: %s (agora são %s lá).",
		msgArgsHistory:        "[N]",
		msgCmdHistory:         "as últimas N mensagens da sala (50 sem N), com os horários",
		msgArgsSearch:         "<palavras>",
		msgCmdSearch:          "as mensagens mais recentes da sala com todas as palavras (sem diferenciar maiúsculas e acentos)",
		msgArgsZone:           "<fuso>",
		msgCmdZone:            "mostrar os horários num fuso, como America/Sao_Paulo",
		msgArgsBan:            "<nome> [duração] [motivo]",
		msgArgsKeys:           "[adicionar <chave pública> | remover <impressão digital>]",
		msgArgsKick:           "<nome> [motivo]",
		msgArgsMotd:           "[texto]",
		msgArgsMute:           "<nome> [duração]",
		msgArgsUnban:          "<nome|impressão digital|endereço>",
		msgAway:               "── enquanto você esteve fora (%d) ──",
		msgAwayNothing:        "* Ninguém disse nada enquanto você esteve fora.",
		msgAwaySkipped:        "* … e mais %d anteriores; /historico mostra mais.",
		msgBadDuration:        "! Essa duração não é válida: use 30s, 10m, 2h ou 7d.",
		msgBanned:             "* %s foi banido(a) por %s, %s",
		msgBannedBye:          "! Você foi banido(a) por %s, %s.",
		msgBannedWhy:          "* %s foi banido(a) por %s, %s: %s",
		msgBansBy:             "por %s",
		msgBansHeader:         "* %d banimentos:",
		msgCmdBan:             "banir as chaves e o endereço de alguém, por um tempo ou para sempre",
		msgCmdBans:            "listar os banimentos: quem, por quê, por quem, até quando",
		msgCmdDeop:            "tirar os direitos de operador",
		msgCmdKeys:            "listar as chaves da sua conta, adicionar a de outro dispositivo ou remover uma",
		msgCmdKick:            "expulsar alguém",
		msgCmdMotd:            "definir a mensagem que todos veem ao entrar (sem texto: apagar)",
		msgCmdMute:            "impedir que as linhas de alguém cheguem à sala",
		msgCmdOp:              "tornar operador um usuário registrado",
		msgCmdRegister:        "vincular o seu nome à chave com que você se conectou",
		msgCmdUnban:           "suspender um banimento",
		msgCmdUnmute:          "deixar um usuário silenciado falar de novo",
		msgCmdUnregister:      "liberar o seu nome",
		msgDeopped:            "* %s não é mais operador(a) (por %s)",
		msgForGood:            "para sempre",
		msgKeyAdded:           "* Chave %s adicionada: conecte-se com ela usando o seu nome.",
		msgKeyMalformed:       "! Isso não é uma chave pública: cole uma linha de um arquivo .pub (ssh-ed25519 AAAA…).",
		msgKeyRemoved:         "* Chave %s removida.",
		msgKeyTaken:           "! Essa chave pertence a outra conta; nada mudou.",
		msgKeyUnknown:         "! Sua conta não tem a chave %s; /chaves lista as chaves.",
		msgKeysHeader:         "* %s: %d chaves",
		msgKeysThis:           "(esta conexão)",
		msgKicked:             "* %s foi expulso(a) por %s",
		msgKickedBye:          "! Você foi expulso(a) por %s.",
		msgKickedByeWhy:       "! Você foi expulso(a) por %s: %s",
		msgKickedWhy:          "* %s foi expulso(a) por %s: %s",
		msgMotd:               "* %s",
		msgMotdCleared:        "* Aviso apagado.",
		msgMotdSet:            "* Aviso definido: todos o veem ao entrar.",
		msgMutedRoom:          "* %s foi silenciado(a) por %s, %s",
		msgNameRegistered:     "! %s é um nome registrado, e a chave desta conexão não é uma das chaves dele. Conecte-se com a chave dele ou escolha outro nome.",
		msgNoBans:             "* Ninguém está banido.",
		msgNotBanned:          "! Nenhum banimento corresponde a %s.",
		msgNotMuted:           "! %s não está silenciado(a).",
		msgNotOp:              "! %s não é operador(a).",
		msgNotOwner:           "! %s é dono(a) do servidor: operadores não podem agir contra donos.",
		msgNotRegistered:      "! Seu nome não está registrado: use /registrar antes.",
		msgNotYourself:        "! Você mesmo(a), não.",
		msgOpNeedsAccount:     "! %s não é um nome registrado: operadores são contas; registre-se com /registrar antes.",
		msgOperatorsOnly:      "! Só operadores podem usar %s.",
		msgOpped:              "* %s agora é operador(a) (por %s)",
		msgOwnersOnly:         "! Só os donos do servidor podem usar %s.",
		msgReconnected:        "* %s reconectou (%d online)",
		msgReconnectedMany:    "* %s reconectaram (%d online)",
		msgRegisterAlready:    "! %s já está registrado para a sua chave; /chaves mostra as chaves.",
		msgRegisterNeedsKey:   "! Você se conectou sem chave, então não há a que vincular o seu nome. Crie uma com ssh-keygen -t ed25519 e conecte-se de novo: o ssh a usa sozinho.",
		msgRegisterSlowDown:   "! Registros demais a partir da sua chave ou do seu endereço; tente mais tarde.",
		msgRegistered:         "* %s agora está registrado para a sua chave %s: ninguém mais pode usá-lo, nem um nome parecido. Adicione outros dispositivos com /chaves adicionar.",
		msgReplacedBye:        "! Você se conectou de novo em outro lugar; esta conexão foi encerrada.",
		msgStoreFailed:        "! O armazenamento não está respondendo; nada mudou. Tente de novo daqui a pouco.",
		msgTooManyKeys:        "! Uma conta tem no máximo %d chaves; remova uma com /chaves remover antes.",
		msgUnbanned:           "* %[2]d banimentos suspensos para %[1]s.",
		msgUnmutedRoom:        "* %s pode falar de novo (por %s)",
		msgUnregistered:       "* %s não está mais registrado.",
		msgUntil:              "até %s",
		msgWhoisOperator:      "  operador(a)",
		msgWhoisOwner:         "  dono(a) do servidor",
		msgWhoisRegistered:    "  registrado desde %s",
		msgYouAreBanned:       "você está banido(a), %s.",
		msgYouAreMuted:        "! Você está silenciado(a), %s: a sala não vê as suas linhas. Mensagens privadas a operadores ainda passam.",
		msgYouAreMutedPrivate: "! Você está silenciado(a), %s: só pode escrever em privado a operadores.",
		msgBannedAlso:         "* %s saiu: banido(a) junto com %s (mesma chave ou endereço)",
		msgArgsAction:         "<ação>",
		msgCmdMe:              "contar à sala o que você está fazendo: /eu acena mostra * nome acena",
		msgArgsOnOff:          "ligado|desligado",
		msgCmdBell:            "tocar o sino do terminal quando uma linha mencionar você (@você)",
		msgBellOn:             "* Sino ligado: uma linha que menciona você o toca.",
		msgBellOff:            "* Sino desligado.",
		msgArgsReason:         "[motivo]",
		msgCmdAway:            "dizer que você está ausente, e por quê; sua próxima linha diz que voltou",
		msgCmdBack:            "dizer que você voltou",
		msgAwayDefault:        "ausente",
		msgAwaySet:            "* Você está ausente: %s. Sua próxima linha diz que você voltou.",
		msgBack:               "* Bem-vindo(a) de volta: você não está mais ausente.",
		msgIsAway:             "* %s está ausente: %s",
		msgWhoAway:            "%s (ausente: %s)",
		msgWhoisAway:          "  ausente: %s",
		msgWhoisRoom:          "  em #%s",
		msgChatUnavailable:    "! O chat está indisponível: o armazenamento não responde. Tentando de novo sozinho; o que você digitar enquanto isso não é enviado.",
		msgChatBack:           "* O chat voltou: as linhas são enviadas de novo.",
		msgArrived:            "* Você está agora em #%s (%d aqui).",
		msgTopicIs:            "Tópico de #%s: %s",
		msgWentTo:             "* %s foi para #%s (%d online)",
		msgRenamed:            "* %s agora é %s",
		msgArgsRoom:           "<#sala>",
		msgArgsTopic:          "[texto]",
		msgArgsNewName:        "<novo nome>",
		msgArgsAll:            "[todos]",
		msgCmdJoin:            "ir para uma sala, criando-a se não existir",
		msgCmdLeave:           "voltar ao saguão",
		msgCmdRooms:           "listar as salas, com quantos há em cada uma e os tópicos",
		msgCmdTopic:           "mostrar ou definir o tópico desta sala (quem a criou ou um operador)",
		msgCmdNick:            "trocar o seu nome",
		msgCmdTimestamps:      "mostrar a hora antes de cada linha",
		msgRoomsHeader:        "* %d salas:",
		msgRoomsLine:          "  #%s (%d)",
		msgRoomInvalid:        "! %s não é um nome de sala: # e de 1 a %d letras, algarismos ou sinais, sem espaços, como #rust.",
		msgRoomLookAlike:      "! #%s se parece com #%s, que já existe; para entrar nela, digite /entrar #%s.",
		msgRoomTooMany:        "! Este servidor já tem %d salas, o máximo que mantém; entre em uma de /salas.",
		msgRoomBusy:           "! #%s está sendo removida; tente de novo daqui a pouco.",
		msgAlreadyIn:          "* Você já está em #%s.",
		msgTopicSet:           "* %s definiu o tópico de #%s: %s",
		msgTopicCleared:       "* %s apagou o tópico de #%s",
		msgTopicNone:          "* #%s não tem tópico; /topico texto define um.",
		msgTopicNotAllowed:    "! Só quem criou a sala (%s) ou um operador pode definir o tópico de #%s.",
		msgTopicLobby:         "! O tópico do saguão é o aviso do dia, que operadores definem com /aviso.",
		msgWhoRoom:            "* %d online em #%s: %s",
		msgWhoAll:             "* %d online em %d salas:",
		msgWhoAllLine:         "  #%s (%d): %s",
		msgNickSame:           "* Você já é %s.",
		msgNickMuted:          "! Você está silenciado(a), %s: o seu nome não pode mudar enquanto isso.",
		msgNickKeeps:          "* A sua conta continua com o nome %s: uma chave tem um só nome registrado. /nome %s o retoma; /desregistrar o libera, e então /registrar fica com %s.",
		msgStampsOn:           "* A hora aparece antes de cada linha.",
		msgStampsOff:          "* A hora não aparece mais.",
		msgRoomExpired:        "* #%s ficou vazia por %s e foi removida, com o seu histórico.",
	},
}

// t returns message id in language l, formatted with args.
func (l lang) t(id msgID, args ...any) string {
	if len(args) == 0 {
		return catalogue[l][id]
	}
	return fmt.Sprintf(catalogue[l][id], args...)
}
