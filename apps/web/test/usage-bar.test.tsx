import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { UsageBar } from '../src/components/usage/UsageBar';
import { agentUsage } from './usage-fixtures';

function renderBar(count: number, limit: number | null, unitCents = 2) {
  const { container } = render(
    <ul>
      <UsageBar agent="inbox" usage={agentUsage(count, limit, unitCents)} />
    </ul>,
  );
  return container.querySelector('li')!;
}

describe('UsageBar thresholds', () => {
  it.each([
    { count: 790, level: 'ok', colour: 'usage-bar--ok', text: null, percent: '79%' },
    { count: 800, level: 'warning', colour: 'usage-bar--warning', text: 'Approaching limit', percent: '80%' },
    { count: 990, level: 'warning', colour: 'usage-bar--warning', text: 'Approaching limit', percent: '99%' },
    { count: 1000, level: 'critical', colour: 'usage-bar--critical', text: 'Limit reached', percent: '100%' },
    { count: 1500, level: 'critical', colour: 'usage-bar--critical', text: 'Limit reached', percent: '150%' },
  ])('$percent of the limit is $level', ({ count, level, colour, text, percent }) => {
    const item = renderBar(count, 1000);
    expect(item).toHaveClass(colour);
    expect(item).toHaveAttribute('data-level', level);
    expect(within(item).getByText(percent)).toBeInTheDocument();
    if (text) expect(within(item).getByText(text)).toBeInTheDocument();
    else expect(within(item).queryByText(/limit reached|approaching limit/i)).toBeNull();
  });

  it('labels the bar "Emails processed 812 / 1,000" with aria values a screen reader can announce', () => {
    const item = renderBar(812, 1000);
    expect(item.querySelector('.usage-bar__header')).toHaveTextContent('Emails processed812 / 1,00081.2%');
    const bar = screen.getByRole('progressbar', { name: 'Emails processed' });
    expect(bar).toHaveAttribute('aria-valuemin', '0');
    expect(bar).toHaveAttribute('aria-valuemax', '1000');
    expect(bar).toHaveAttribute('aria-valuenow', '812');
    expect(bar).toHaveAttribute('aria-valuetext', '812 of 1,000 emails (81.2%), approaching limit');
    expect(bar.firstElementChild).toHaveStyle({ width: '81.2%' });
  });

  it('keeps the bar full and the aria value at the limit when usage is over it', () => {
    renderBar(1500, 1000);
    const bar = screen.getByRole('progressbar', { name: 'Emails processed' });
    expect(bar).toHaveAttribute('aria-valuenow', '1000');
    expect(bar).toHaveAttribute('aria-valuetext', '1,500 of 1,000 emails (150%), limit reached, 500 over the limit');
    expect(bar.firstElementChild).toHaveStyle({ width: '100%' });
  });
});

describe('UsageBar overage and unlimited plans', () => {
  it('shows the overage count and its cost in dollars when usage is over 100%', () => {
    const item = renderBar(1500, 1000, 2);
    expect(within(item).getByText('500 over limit · $10.00 overage')).toBeInTheDocument();
  });

  it('shows no overage below the limit', () => {
    const item = renderBar(999, 1000);
    expect(within(item).queryByText(/over limit/)).toBeNull();
  });

  it('shows an unlimited agent as a count without a limit or a progress bar', () => {
    const item = renderBar(1234, null);
    expect(item).toHaveAttribute('data-level', 'unlimited');
    expect(within(item).getByText('1,234')).toBeInTheDocument();
    expect(within(item).getByText('Unlimited on your plan')).toBeInTheDocument();
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(item).not.toHaveTextContent('/');
  });
});
