package sshchat

// leaveReason says how a user's session ended. Everything that depends on
// it is one row of leaveReasons, so a new way of leaving (kicked, banned,
// connected again from elsewhere) is one line there and its texts in the
// catalogue.
type leaveReason uint8

const (
	leaveQuit     leaveReason = iota // /sair, /quit, Ctrl-D, end of input
	leaveLost                        // reading from the connection failed
	leaveTimeout                     // keepalives went unanswered
	leaveIdle                        // no input for longer than the idle limit
	leaveSlow                        // output backlog over the outbox cap
	leaveError                       // the server failed while handling this user
	leaveShutdown                    // the server is shutting down
	leaveFlood                       // kept sending while over the message budget
	leaveReplaced                    // the same user connected again from elsewhere
	leaveKicked                      // an operator sent them away
	leaveBanned                      // an operator banned them
	numLeaveReasons
)

// leaveRow is what one reason implies.
type leaveRow struct {
	logName  string // in the server's log
	told     msgID  // the room's line for one user
	toldMany msgID  // the room's line for several users leaving alike in one announcement
	// farewell is the user's last line, or -1 for none, with its
	// arguments taken from the configuration.
	farewell     msgID
	farewellArgs func(*Config) []any
	// deadConn: the connection cannot carry anything more (it failed, or
	// the client stopped reading), so it is closed at once and nothing
	// is flushed.
	deadConn bool
	status   uint32 // the exit status the client is given
}

var leaveReasons = [numLeaveReasons]leaveRow{
	leaveQuit:    {logName: "quit", told: msgLeftQuit, toldMany: msgLeftQuitMany, farewell: -1},
	leaveLost:    {logName: "connection lost", told: msgLeftLost, toldMany: msgLeftLostMany, farewell: -1, deadConn: true},
	leaveTimeout: {logName: "keepalive timeout", told: msgLeftTimeout, toldMany: msgLeftTimeoutMany, farewell: -1, deadConn: true},
	leaveIdle: {logName: "idle", told: msgLeftIdle, toldMany: msgLeftIdleMany, farewell: msgIdleBye,
		farewellArgs: func(c *Config) []any { return []any{c.IdleTimeout} }},
	leaveSlow:     {logName: "slow consumer", told: msgLeftSlow, toldMany: msgLeftSlowMany, farewell: -1, deadConn: true},
	leaveError:    {logName: "server error", told: msgLeftError, toldMany: msgLeftErrorMany, farewell: -1, status: 1},
	leaveShutdown: {logName: "shutdown", told: msgLeftQuit, toldMany: msgLeftQuitMany, farewell: -1},
	leaveFlood:    {logName: "flooding", told: msgLeftFlood, toldMany: msgLeftFloodMany, farewell: msgFloodBye},
	// The room sees one line, "reconnected", for the old connection's
	// end and the new one's start together.
	leaveReplaced: {logName: "connected again", told: msgReconnected, toldMany: msgReconnectedMany, farewell: msgReplacedBye},
	// Kicks and bans are told with who did it and why (change.told); the
	// farewell is written by the operator's command.
	leaveKicked: {logName: "kicked", told: msgLeftQuit, toldMany: msgLeftQuitMany, farewell: -1},
	leaveBanned: {logName: "banned", told: msgLeftQuit, toldMany: msgLeftQuitMany, farewell: -1},
}

func (r leaveReason) row() *leaveRow { return &leaveReasons[r] }

func (r leaveReason) String() string { return leaveReasons[r].logName }
