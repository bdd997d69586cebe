/* term.c - terminal start, stop and recovery (see term.h). */
#include "ui/term.h"
#include "core/fmap.h"
#include "core/util.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static int ev_pipe[2] = {-1, -1};
static volatile sig_atomic_t quit_signal;
static bool active;
static bool have_termios;
static struct termios saved_termios;
static SCREEN *screen;

/* What a crashed program must put back, written with write(2) only. */
static const char reset_seq[] = "\033[?1000l\033[?1002l\033[?1006l\033[0m\033[?25h\033[?1049l\r\n";

static void on_quit(int sig)
{
	int saved = errno;
	quit_signal = sig;
	char c = 'Q';
	ssize_t r = write(ev_pipe[1], &c, 1);
	(void)r;
	errno = saved;
}

static void on_winch(int sig)
{
	(void)sig;
	int saved = errno;
	char c = 'W';
	ssize_t r = write(ev_pipe[1], &c, 1);
	(void)r;
	errno = saved;
}

static void on_fatal(int sig)
{
	if (active) {
		if (have_termios)
			tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
		ssize_t r = write(STDOUT_FILENO, reset_seq, sizeof reset_seq - 1);
		(void)r;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void at_exit(void)
{
	term_stop();
}

static void install(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

int term_start(bool want_color, char **cause)
{
	(void)want_color;
	if (ev_pipe[0] < 0) {
		if (pipe(ev_pipe) != 0)
			return set_cause(cause, "cannot make a pipe: %s", strerror(errno));
		for (int i = 0; i < 2; i++) {
			fcntl(ev_pipe[i], F_SETFL, fcntl(ev_pipe[i], F_GETFL) | O_NONBLOCK);
			fcntl(ev_pipe[i], F_SETFD, FD_CLOEXEC);
		}
		atexit(at_exit);
	}
	have_termios = tcgetattr(STDIN_FILENO, &saved_termios) == 0;
	/* ours first: curses leaves handlers it finds installed alone */
	install(SIGINT, on_quit, 0);
	install(SIGTERM, on_quit, 0);
	install(SIGHUP, on_quit, 0);
	install(SIGWINCH, on_winch, SA_RESTART);
	install(SIGSEGV, on_fatal, SA_RESETHAND);
	/* SIGBUS is fmap's (a checkpoint cut short while mapped reads as
	 * zeros and is reported); a SIGBUS elsewhere comes to on_fatal */
	fmap_fault_fallback(on_fatal);
	install(SIGFPE, on_fatal, SA_RESETHAND);
	install(SIGILL, on_fatal, SA_RESETHAND);
	install(SIGABRT, on_fatal, SA_RESETHAND);
	screen = newterm(NULL, stdout, stdin);
	if (screen == NULL)
		return set_cause(cause, "cannot start the terminal (TERM=%s): is it a known terminal type?",
		                 getenv("TERM") ? getenv("TERM") : "unset");
	set_term(screen);
	active = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	/* Home and End as tmux, screen and rxvt send them (xterm's terminfo
	 * knows only \e[H and \e[F): unknown, they arrive as Esc, '[', '1', '~'
	 * and Esc cancels whatever runs */
	define_key("\033[1~", KEY_HOME);
	define_key("\033[4~", KEY_END);
	define_key("\033[7~", KEY_HOME);
	define_key("\033[8~", KEY_END);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	return 0;
}

void term_stop(void)
{
	if (!active)
		return;
	active = false;
	mousemask(0, NULL);
	curs_set(1);
	endwin();
	if (screen) {
		delscreen(screen);
		screen = NULL;
	}
	if (have_termios)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
	int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGSEGV, SIGFPE, SIGILL, SIGABRT};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		install(sigs[i], SIG_DFL, 0);
	fmap_fault_fallback(NULL);
}

int term_event_fd(void)
{
	return ev_pipe[0];
}

int term_take_events(int *sig)
{
	char buf[64];
	ssize_t n;
	int ev = 0;
	while ((n = read(ev_pipe[0], buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++)
			ev |= buf[i] == 'Q' ? TERM_EV_QUIT : buf[i] == 'W' ? TERM_EV_RESIZE : 0;
	if (sig)
		*sig = quit_signal;
	return ev;
}

void term_apply_size(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
}
