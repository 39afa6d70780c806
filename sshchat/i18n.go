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
	numMsgs
)

// catalogue holds every user-facing line, in each language. Verbs are
// fmt's; the arguments are the same in both languages.
var catalogue = [numLangs][numMsgs]string{
	langEN: {
		msgWelcome:            "Welcome, %s! %d online. Type /help for commands, /quit to leave.",
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
	},
	langPT: {
		msgWelcome:            "Bem-vindo(a), %s! %d online. Digite /ajuda para ver os comandos, /sair para sair.",
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
	},
}

// t returns message id in language l, formatted with args.
func (l lang) t(id msgID, args ...any) string {
	if len(args) == 0 {
		return catalogue[l][id]
	}
	return fmt.Sprintf(catalogue[l][id], args...)
}
