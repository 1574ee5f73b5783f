package actors

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCronParse(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 1, 10, 0, 30, 0, time.UTC)
	for _, tc := range []struct {
		expr, tz string
		want     time.Time
	}{
		{"* * * * *", "", time.Date(2030, 1, 1, 10, 1, 0, 0, time.UTC)},
		{"*/10 * * * * *", "", time.Date(2030, 1, 1, 10, 0, 40, 0, time.UTC)},
		{"@hourly", "UTC", time.Date(2030, 1, 1, 11, 0, 0, 0, time.UTC)},
		{"30 12 * * *", "Europe/Berlin", time.Date(2030, 1, 1, 11, 30, 0, 0, time.UTC)},
		{"CRON_TZ=Europe/Berlin 30 12 * * *", "", time.Date(2030, 1, 1, 11, 30, 0, 0, time.UTC)},
		{"TZ=Europe/Berlin 30 12 * * *", "Europe/Berlin", time.Date(2030, 1, 1, 11, 30, 0, 0, time.UTC)},
	} {
		spec, err := ParseCron(tc.expr, tc.tz)
		require.NoError(t, err, tc.expr)
		require.Equal(t, tc.want, spec.Next(at), tc.expr)
	}
	for _, bad := range [][2]string{{"", ""}, {"x", ""}, {"@hourly", "No/Where"}, {"CRON_TZ=UTC @hourly", "Europe/Berlin"}, {"0 0 31 2 *", ""}} {
		_, err := ParseCron(bad[0], bad[1])
		require.ErrorIs(t, err, ErrInvalidSchedule, bad[0])
	}
}

func TestCronLatestDue(t *testing.T) {
	t.Parallel()
	spec, err := ParseCron("* * * * * *", "")
	require.NoError(t, err)
	due := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	require.Equal(t, due, latestDue(spec, due, due.Add(500*time.Millisecond)), "only due itself passed")
	now := due.Add(30*24*time.Hour + 1500*time.Millisecond) // a month of seconds missed
	require.Equal(t, due.Add(30*24*time.Hour+time.Second), latestDue(spec, due, now))
	hourly, err := ParseCron("@hourly", "")
	require.NoError(t, err)
	require.Equal(t, due.Add(5*time.Hour), latestDue(hourly, due, due.Add(5*time.Hour+10*time.Minute)))
}
